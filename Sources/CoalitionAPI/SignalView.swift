import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation

/// The JSON shape of a signal shown to people and tools (`list --json`, `show --json`, and the
/// API). Times are RFC 3339 UTC.
public struct SignalView: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        public var signal: String
        public var author: String
        public var authorName: String
        public var publishedAt: String
        public var status: String
    }
    public struct OpinionView: Codable, Sendable, Equatable {
        public var author: String
        public var authorName: String
        public var stance: String
        public var note: String?
        public var at: String
    }
    public var id: String
    public var kind: String
    public var value: String
    public var category: String
    public var severity: String
    public var tlp: String
    public var labels: [String]
    public var expiresAt: String?
    public var note: String?
    public var quality: Int?
    public var author: String
    public var authorName: String
    public var publishedAt: String
    public var restricted: Bool
    /// `active`, `retracted` or `expired`.
    public var status: String
    public var retractionReason: String?
    public var verdict: String
    public var opinions: [OpinionView]
    /// Every signal of the same (kind, value), this one included.
    public var sources: [Source]

    /// Builds the view of a stored signal; `name` gives a display name for an author.
    public init(_ row: SignalRow, store: EntryStore, name: (PublicKey) -> String, now: Int64 = .nowMillis) throws {
        let s = row.signal
        id = row.id.hex
        kind = s.kind.name
        value = s.value
        category = s.category
        severity = s.severity.description
        tlp = s.tlp.description
        labels = s.labels
        expiresAt = s.expiresAt.map(Self.time)
        note = s.note
        quality = s.quality.map(Int.init)
        author = MemberID(publicKey: row.author).description
        authorName = name(row.author)
        publishedAt = Self.time(row.publishedAt)
        restricted = row.restricted
        status = Self.status(row, now: now)
        retractionReason = row.retractReason
        let ops = try store.opinions(on: row.id)
        verdict = Verdict(confirms: ops.count { $0.stance == .confirm }, disputes: ops.count { $0.stance == .dispute }).rawValue
        opinions = ops.map { OpinionView(author: MemberID(publicKey: $0.author).description, authorName: name($0.author),
                                         stance: $0.stance.description, note: $0.note, at: Self.time($0.timestamp)) }
        sources = try store.signals(kind: s.kind, value: s.value).map {
            Source(signal: $0.id.hex, author: MemberID(publicKey: $0.author).description, authorName: name($0.author),
                   publishedAt: Self.time($0.publishedAt), status: Self.status($0, now: now))
        }
    }

    static func status(_ row: SignalRow, now: Int64) -> String {
        if row.retractedBy != nil { return "retracted" }
        if let e = row.signal.expiresAt, now >= e { return "expired" }
        return "active"
    }

    /// RFC 3339 UTC with milliseconds.
    public static func time(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}

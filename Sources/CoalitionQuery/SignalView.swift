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
    /// The ID of the retraction entry, when the signal is retracted.
    public var retractedBy: String?
    public var retractionReason: String?
    public var verdict: String
    public var opinions: [OpinionView]
    /// Every signal of the same (kind, value), this one included.
    public var sources: [Source]

    /// Builds the view of a stored signal; `name` gives a display name for an author.
    /// - Parameter sources: every signal of the same indicator, when the caller has read them
    ///   already (a lookup has); otherwise they are read from the store.
    public init(_ row: SignalRow, store: EntryStore, name: (PublicKey) -> String, now: Int64 = .nowMillis, sources: [SignalRow]? = nil) throws {
        self.init(row, opinions: try store.opinions(on: row.id), sources: try sources ?? store.signals(kind: row.signal.kind, value: row.signal.value),
                  now: now) { (MemberID(publicKey: $0).description, name($0)) }
    }

    /// Builds the view from rows already read; `label` gives an author's member ID and display name.
    init(_ row: SignalRow, opinions ops: [OpinionRow], sources: [SignalRow], now: Int64, label: (PublicKey) -> (id: String, name: String)) {
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
        (author, authorName) = label(row.author)
        publishedAt = Self.time(row.publishedAt)
        restricted = row.restricted
        status = Self.status(row, now: now)
        retractedBy = row.retractedBy?.hex
        retractionReason = row.retractReason
        verdict = Verdict(confirms: ops.count { $0.stance == .confirm }, disputes: ops.count { $0.stance == .dispute }).rawValue
        opinions = ops.map { o in
            let (author, name) = label(o.author)
            return OpinionView(author: author, authorName: name, stance: o.stance.description, note: o.note, at: Self.time(o.timestamp))
        }
        let own = Source(signal: id, author: author, authorName: authorName, publishedAt: publishedAt, status: status)
        self.sources = sources.map { r in
            // The signal itself is among its sources (usually the only one): written once.
            if r.id == row.id { return own }
            let (author, name) = label(r.author)
            return Source(signal: r.id.hex, author: author, authorName: name, publishedAt: Self.time(r.publishedAt), status: Self.status(r, now: now))
        }
    }

    static func status(_ row: SignalRow, now: Int64) -> String {
        row.status(now: now).rawValue
    }

    /// RFC 3339 UTC with milliseconds, as `ISO8601DateFormatter` with fractional seconds writes
    /// it, without creating a formatter per call (which dominated lookup responses).
    public static func time(_ ms: Int64) -> String {
        // Floor division, so times before 1970 come out right too.
        func floorDivision(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
            let (q, r) = a.quotientAndRemainder(dividingBy: b)
            return r < 0 ? (q - 1, r + b) : (q, r)
        }
        let (seconds, millis) = floorDivision(ms, 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        guard (0...9999).contains(year) else {
            // Outside four-digit years (never for real timestamps): the general path.
            func pad(_ v: Int64, _ width: Int) -> String {
                let s = String(v)
                return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
            }
            return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
        }
        // yyyy-mm-ddThh:mm:ss.sssZ, 24 bytes written in place (three times per matched signal).
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ v: Int64, at end: Int, width: Int) {
                var v = v
                for i in stride(from: end, to: end - width, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
            }
            out[4] = UInt8(ascii: "-"); out[7] = UInt8(ascii: "-"); out[10] = UInt8(ascii: "T")
            out[13] = UInt8(ascii: ":"); out[16] = UInt8(ascii: ":"); out[19] = UInt8(ascii: "."); out[23] = UInt8(ascii: "Z")
            put(year, at: 3, width: 4)
            put(month, at: 6, width: 2)
            put(day, at: 9, width: 2)
            put(secondOfDay / 3600, at: 12, width: 2)
            put(secondOfDay / 60 % 60, at: 15, width: 2)
            put(secondOfDay % 60, at: 18, width: 2)
            put(millis, at: 22, width: 3)
            return 24
        }
    }
}

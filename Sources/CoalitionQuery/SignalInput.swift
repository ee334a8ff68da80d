import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation

/// A signal as an admin or an import file writes it: loose text fields, validated into a
/// `Signal` (and recipients for restricted ones) with errors that name the field.
public struct SignalInput: Codable, Sendable, Equatable {
    public var kind: String
    public var value: String
    public var category: String
    public var severity: String?
    public var tlp: String?
    public var labels: [String]?
    /// RFC 3339 / ISO 8601 date-time, or milliseconds since the Unix epoch.
    public var expiresAt: String?
    public var note: String?
    public var quality: Int?
    /// Member IDs that may read a restricted signal.
    public var recipients: [String]?

    public init(kind: String, value: String, category: String, severity: String? = nil, tlp: String? = nil,
                labels: [String]? = nil, expiresAt: String? = nil, note: String? = nil, quality: Int? = nil,
                recipients: [String]? = nil) {
        self.kind = kind; self.value = value; self.category = category; self.severity = severity; self.tlp = tlp
        self.labels = labels; self.expiresAt = expiresAt; self.note = note; self.quality = quality; self.recipients = recipients
    }

    enum CodingKeys: String, CodingKey {
        case kind, value, category, severity, tlp, labels, expiresAt, expires_at, note, quality, recipients
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        value = try c.decode(String.self, forKey: .value)
        category = try c.decode(String.self, forKey: .category)
        severity = try c.decodeIfPresent(String.self, forKey: .severity)
        tlp = try c.decodeIfPresent(String.self, forKey: .tlp)
        if let list = try? c.decodeIfPresent([String].self, forKey: .labels) { labels = list } else {
            labels = try c.decodeIfPresent(String.self, forKey: .labels).map(Self.splitList)
        }
        if let ms = try? c.decodeIfPresent(Int64.self, forKey: .expiresAt) { expiresAt = String(ms) } else {
            expiresAt = try c.decodeIfPresent(String.self, forKey: .expiresAt) ?? c.decodeIfPresent(String.self, forKey: .expires_at)
        }
        note = try c.decodeIfPresent(String.self, forKey: .note)
        quality = try c.decodeIfPresent(Int.self, forKey: .quality)
        if let list = try? c.decodeIfPresent([String].self, forKey: .recipients) { recipients = list } else {
            recipients = try c.decodeIfPresent(String.self, forKey: .recipients).map(Self.splitList)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind); try c.encode(value, forKey: .value); try c.encode(category, forKey: .category)
        try c.encodeIfPresent(severity, forKey: .severity); try c.encodeIfPresent(tlp, forKey: .tlp)
        try c.encodeIfPresent(labels, forKey: .labels); try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encodeIfPresent(note, forKey: .note); try c.encodeIfPresent(quality, forKey: .quality)
        try c.encodeIfPresent(recipients, forKey: .recipients)
    }

    /// Splits `a;b;c` (also `|` or `,`) into trimmed, non-empty items (a CSV cell's list).
    public static func splitList(_ s: String) -> [String] {
        s.split(whereSeparator: { $0 == ";" || $0 == "|" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Validates into a store draft: plaintext, or sealed to the recipients when the TLP
    /// requires it or recipients are named.
    /// - Parameter taxonomy: when given, the category must be one it lists.
    /// - Throws: `CoalitionError(.invalidField)` naming the field.
    public func draft(taxonomy: Taxonomy? = .builtIn) throws(CoalitionError) -> EntryStore.Draft {
        let kind = try SignalKind(name: kind.trimmingCharacters(in: .whitespaces).lowercased())
        let severity = try severity.map { s throws(CoalitionError) in try Severity(name: s) } ?? .medium
        let tlp = try tlp.map { s throws(CoalitionError) in try TLP(name: s) } ?? .green
        if let taxonomy { try taxonomy.check(category) }
        var q: UInt8?
        if let quality {
            guard (0...100).contains(quality) else { throw CoalitionError(.invalidField, "must be 0–100, got \(quality)", field: "quality") }
            q = UInt8(quality)
        }
        let signal = try Signal(kind: kind, value: value, category: category, severity: severity, tlp: tlp,
                                labels: labels ?? [], expiresAt: try Self.parseTime(expiresAt), note: note, quality: q)
        var keys: [PublicKey] = []
        for r in recipients ?? [] {
            do { keys.append(try MemberID(parsing: r).publicKey) } catch {
                throw CoalitionError(.invalidField, error.message, field: "recipients", underlying: error)
            }
        }
        if tlp.requiresEncryption && keys.isEmpty {
            throw CoalitionError(.invalidField, "a \(tlp) signal must name its recipients (member IDs)", field: "recipients")
        }
        return keys.isEmpty ? .plain(.publish(signal)) : .sealed(.publish(signal), recipients: keys)
    }

    /// Parses an expiry: empty → nil; digits → ms since epoch; otherwise ISO 8601.
    static func parseTime(_ s: String?) throws(CoalitionError) -> Int64? {
        guard let s = s?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
        if let ms = Int64(s) { return ms }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return Int64(d.timeIntervalSince1970 * 1000) }
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: s) { return Int64(d.timeIntervalSince1970 * 1000) }
        f.formatOptions = [.withFullDate]
        if let d = f.date(from: s) { return Int64(d.timeIntervalSince1970 * 1000) }
        throw CoalitionError(.invalidField, "'\(s)' is not a date (use 2027-01-31T00:00:00Z or milliseconds since the epoch)", field: "expiresAt")
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation

/// The transparency report of a period: a coalition-wide part computed only from the merged
/// state (every node holding the same entries computes the same numbers and the same
/// ``Coalition/digest``), and a local part, this node's own use.
public struct TransparencyReport: Codable, Sendable, Equatable {
    /// One member's signals of one category and kind.
    public struct Row: Codable, Sendable, Equatable {
        public var member: String
        /// This node's display name for the member: local, not part of the digest.
        public var memberName: String
        public var category: String
        public var kind: String
        public var published: Int
        public var retracted: Int
        /// Retractions in the period by reason (the reason's text as signed).
        public var retractedByReason: [String: Int]
        public var disputed: Int
        public var confirmed: Int
        /// disputed / published, 0 when nothing was published.
        public var disputeRate: Double
    }
    /// The sums of rows over one dimension (a member, a category, a kind, or all).
    public struct Total: Codable, Sendable, Equatable {
        public var key: String
        public var name: String?
        public var published = 0
        public var retracted = 0
        public var disputed = 0
        public var confirmed = 0
        public var disputeRate = 0.0
        /// Restricted signals published (member totals and the grand total only).
        public var restricted = 0
    }
    /// The part every member can reproduce.
    public struct Coalition: Codable, Sendable, Equatable {
        public var rows: [Row]
        public var byMember: [Total]
        public var byCategory: [Total]
        public var byKind: [Total]
        public var total: Total
        /// Retractions in the period by reason, all members.
        public var retractedByReason: [String: Int]
        /// Member IDs flagged as equivocators.
        public var equivocators: [String]
        /// SHA-256 (hex) of the canonical lines of this part (``TransparencyReport/canonicalLines(_:)``).
        public var digest: String
    }
    /// This node's own figures.
    public struct Local: Codable, Sendable, Equatable {
        public var node: String
        public var lookups: Int
        public var matchesByCategory: [String: Int]
        public var overrides: [String: Int]
        /// Signals of other members published in the period that reached this node.
        public var arrivals: Int
        public var medianArrivalSeconds: Double?
    }

    /// The period, `[from, to)`, RFC 3339.
    public var from: String
    public var to: String
    public var generatedAt: String
    public var coalition: Coalition
    public var local: Local

    /// Builds the report from the store's tallies and local figures.
    /// - Parameters:
    ///   - name: this node's display name of a member (local; not in the digest).
    ///   - node: this node's member ID.
    public init(from: Int64, to: Int64, tallies t: ReportTallies, local f: LocalReportFigures, node: String,
                name: (PublicKey) -> String, now: Int64 = .nowMillis) {
        self.from = SignalView.time(from)
        self.to = SignalView.time(to)
        generatedAt = SignalView.time(now)
        var keys = Set(t.published.keys)
        keys.formUnion(t.retracted.keys)
        var rows: [Row] = keys.map { k in
            let reasons = t.retracted[k] ?? [:]
            let published = t.published[k] ?? 0
            let disputed = t.disputed[k] ?? 0
            return Row(member: MemberID(publicKey: k.author).description, memberName: name(k.author), category: k.category, kind: k.kind,
                       published: published, retracted: reasons.values.reduce(0, +), retractedByReason: reasons,
                       disputed: disputed, confirmed: t.confirmed[k] ?? 0, disputeRate: Self.rate(disputed, published))
        }
        rows.sort { ($0.member, $0.category, $0.kind) < ($1.member, $1.category, $1.kind) }
        var names: [String: String] = [:]
        for k in keys { names[MemberID(publicKey: k.author).description] = name(k.author) }
        var restricted: [String: Int] = [:]
        for (author, n) in t.restricted {
            let id = MemberID(publicKey: author).description
            restricted[id] = n
            names[id] = name(author)
        }
        func totals(_ by: (Row) -> String) -> [Total] {
            var out: [String: Total] = [:]
            for r in rows { out[by(r), default: Total(key: by(r))].add(r) }
            return out.values.sorted { $0.key < $1.key }.map { var t = $0; t.finish(); return t }
        }
        var byMember = totals(\.member)
        for (id, n) in restricted {
            if let i = byMember.firstIndex(where: { $0.key == id }) { byMember[i].restricted = n } else { byMember.append(Total(key: id, restricted: n)) }
        }
        byMember.sort { $0.key < $1.key }
        for i in byMember.indices { byMember[i].name = names[byMember[i].key] }
        var total = Total(key: "all")
        for r in rows { total.add(r) }
        total.restricted = restricted.values.reduce(0, +)
        total.finish()
        var reasons: [String: Int] = [:]
        for r in rows { for (reason, n) in r.retractedByReason { reasons[reason, default: 0] += n } }
        let equivocators = t.equivocators.map { MemberID(publicKey: $0).description }.sorted()
        let lines = Self.canonicalLines(from: from, to: to, rows: rows, restricted: restricted, equivocators: equivocators)
        coalition = Coalition(rows: rows, byMember: byMember, byCategory: totals(\.category), byKind: totals(\.kind), total: total,
                              retractedByReason: reasons, equivocators: equivocators,
                              digest: Hex.encode(SHA256.hash(Array(lines.joined().utf8))))
        local = Local(node: node, lookups: f.lookups, matchesByCategory: f.matchesByCategory, overrides: f.overrides, arrivals: f.arrivals,
                      medianArrivalSeconds: f.medianArrivalMillis.map { Double($0) / 1000 })
    }

    /// The lines the coalition-wide digest hashes, each ending in a newline: the period in ms,
    /// then one line per row, per retraction reason, per member's restricted count and per
    /// equivocator, in byte order of member ID, category, kind and reason. Names (local) are
    /// not part of it; reasons are percent-escaped so that a line never holds a space or newline
    /// of its own.
    static func canonicalLines(from: Int64, to: Int64, rows: [Row], restricted: [String: Int], equivocators: [String]) -> [String] {
        var lines = ["coalition-report 1\n", "period \(from) \(to)\n"]
        for r in rows {
            lines.append("row \(r.member) \(escape(r.category)) \(escape(r.kind)) \(r.published) \(r.retracted) \(r.disputed) \(r.confirmed)\n")
            for (reason, n) in r.retractedByReason.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
                lines.append("reason \(r.member) \(escape(r.category)) \(escape(r.kind)) \(escape(reason)) \(n)\n")
            }
        }
        for (id, n) in restricted.sorted(by: { $0.key < $1.key }) { lines.append("restricted \(id) \(n)\n") }
        for id in equivocators { lines.append("equivocator \(id)\n") }
        return lines
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            if b > 0x20, b < 0x7F, b != UInt8(ascii: "%") { out.unicodeScalars.append(Unicode.Scalar(b)) } else { out += String(format: "%%%02X", b) }
        }
        return out.isEmpty ? "%" : out
    }

    static func rate(_ part: Int, _ whole: Int) -> Double {
        whole == 0 ? 0 : (Double(part) / Double(whole) * 10_000).rounded() / 10_000
    }

    /// The report as CSV in long form, one number per line: `section,member,member_name,
    /// category,kind,metric,value` (a spreadsheet pivots it), with the digest as the last line.
    public func csv() -> String {
        var out = "section,member,member_name,category,kind,metric,value\n"
        func line(_ fields: String...) { out += fields.map(Self.csvField).joined(separator: ",") + "\n" }
        line("period", "", "", "", "", "from", from)
        line("period", "", "", "", "", "to", to)
        for r in coalition.rows {
            line("coalition", r.member, r.memberName, r.category, r.kind, "published", "\(r.published)")
            line("coalition", r.member, r.memberName, r.category, r.kind, "retracted", "\(r.retracted)")
            for (reason, n) in r.retractedByReason.sorted(by: { $0.key < $1.key }) {
                line("coalition", r.member, r.memberName, r.category, r.kind, "retracted:" + reason, "\(n)")
            }
            line("coalition", r.member, r.memberName, r.category, r.kind, "disputed", "\(r.disputed)")
            line("coalition", r.member, r.memberName, r.category, r.kind, "confirmed", "\(r.confirmed)")
            line("coalition", r.member, r.memberName, r.category, r.kind, "dispute_rate", "\(r.disputeRate)")
        }
        for m in coalition.byMember where m.restricted > 0 {
            line("coalition", m.key, m.name ?? "", "", "", "restricted_published", "\(m.restricted)")
        }
        for id in coalition.equivocators { line("coalition", id, "", "", "", "equivocator", "1") }
        line("local", local.node, "", "", "", "lookups", "\(local.lookups)")
        for (c, n) in local.matchesByCategory.sorted(by: { $0.key < $1.key }) { line("local", local.node, "", c, "", "matches", "\(n)") }
        for (a, n) in local.overrides.sorted(by: { $0.key < $1.key }) { line("local", local.node, "", "", "", "overrides:" + a, "\(n)") }
        line("local", local.node, "", "", "", "arrivals", "\(local.arrivals)")
        line("local", local.node, "", "", "", "median_arrival_seconds", local.medianArrivalSeconds.map { "\($0)" } ?? "")
        line("digest", "", "", "", "", "sha256", coalition.digest)
        return out
    }

    static func csvField(_ s: String) -> String {
        // A leading =, +, - or @ would be a formula in a spreadsheet: quote it with a '.
        var v = s
        if let f = v.first, "=+-@".contains(f), Double(v) == nil { v = "'" + v }
        guard v.contains(where: { ",\"\n\r".contains($0) }) else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension TransparencyReport.Total {
    init(key: String, restricted: Int) {
        self.key = key
        self.restricted = restricted
    }

    mutating func add(_ r: TransparencyReport.Row) {
        published += r.published
        retracted += r.retracted
        disputed += r.disputed
        confirmed += r.confirmed
    }

    mutating func finish() { disputeRate = TransparencyReport.rate(disputed, published) }
}

extension QueryService {
    /// The transparency report of `[from, to)` (ms since the epoch).
    /// - Parameters:
    ///   - node: this node's member ID; `own`: the keys it has signed with.
    public func report(from: Int64, to: Int64, node: String, own: [PublicKey]) throws -> TransparencyReport {
        guard from < to else { throw CoalitionError(.invalidField, "the report's period is empty: from must be before to", field: "from") }
        try? usage.flush(to: store)
        let (tallies, local) = try store.report(from: from, to: to, own: own)
        return TransparencyReport(from: from, to: to, tallies: tallies, local: local, node: node, name: names)
    }

    /// A report period from text: `from` and `to` are dates (`YYYY-MM-DD`, UTC; `to` inclusive)
    /// or RFC 3339 date-times (`to` exclusive). Defaults: the 30 days up to and including today.
    public static func reportPeriod(from: String?, to: String?, now: Int64 = .nowMillis) throws(CoalitionError) -> (from: Int64, to: Int64) {
        let day: Int64 = 86_400_000
        let end = try to.map { t throws(CoalitionError) in try instant(t, field: "to", endOfDay: true) } ?? (UsageDay.day(of: now) + 1) * day
        let start = try from.map { t throws(CoalitionError) in try instant(t, field: "from", endOfDay: false) } ?? end - 30 * day
        guard start < end else { throw CoalitionError(.invalidField, "from must be before to", field: "from") }
        return (start, end)
    }

    static func instant(_ text: String, field: String, endOfDay: Bool) throws(CoalitionError) -> Int64 {
        let t = text.trimmingCharacters(in: .whitespaces)
        let dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
        dateOnly.timeZone = TimeZone(identifier: "UTC")
        if t.count == 10, let d = dateOnly.date(from: t) {
            return Int64((d.timeIntervalSince1970 * 1000).rounded()) + (endOfDay ? 86_400_000 : 0)
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = t.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        guard let d = f.date(from: t) else {
            throw CoalitionError(.invalidField, "\(field) is a date (YYYY-MM-DD) or an RFC 3339 date-time, got '\(t.prefix(40))'", field: field)
        }
        return Int64((d.timeIntervalSince1970 * 1000).rounded())
    }
}

import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB

/// A dashboard search over signals: every criterion given must hold.
public struct SignalSearch: Sendable {
    public enum Status: String, Sendable, CaseIterable { case active, retracted, expired, all }
    public var kind: SignalKind?
    /// A category, or a top-level category with all its keywords.
    public var category: String?
    public var author: PublicKey?
    public var severity: Severity?
    public var status: Status = .active
    public var label: String?
    /// A fragment of the value or the note (case-insensitive for ASCII).
    public var text: String?
    /// The page after this (publishedAt, ID).
    public var after: (publishedAt: Int64, id: EntryID)?
    public var limit = 50

    public init() {}
}

/// What the dashboard's overview shows of the store.
public struct OverviewCounts: Sendable, Equatable {
    public struct Day: Sendable, Equatable {
        /// Days since 1970-01-01 (UTC).
        public var day: Int64
        public var author: PublicKey
        public var published = 0
        public var retracted = 0
    }
    public var signals = 0
    public var active = 0
    public var byKind: [String: Int] = [:]
    /// Per top-level category.
    public var byCategory: [String: Int] = [:]
    public var bySeverity: [String: Int] = [:]
    /// Signals published and retracted per day and member, over the days asked for.
    public var daily: [Day] = []
    /// The most disputed signals: (signal, disputes), most first.
    public var disputed: [(signal: EntryID, disputes: Int)] = []
    public var equivocators: [PublicKey] = []

    public init() {}

    public static func == (a: OverviewCounts, b: OverviewCounts) -> Bool {
        a.signals == b.signals && a.active == b.active && a.byKind == b.byKind && a.byCategory == b.byCategory && a.bySeverity == b.bySeverity
            && a.daily == b.daily && a.disputed.map(\.signal) == b.disputed.map(\.signal) && a.equivocators == b.equivocators
    }
}

extension EntryStore {
    /// One page of signals matching `search`, newest first.
    public func search(_ search: SignalSearch, now: Int64 = .nowMillis) throws -> [SignalRow] {
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let after = search.after {
            clauses.append("(publishedAt < ? OR (publishedAt = ? AND id > ?))")
            args += [after.publishedAt, after.publishedAt, after.id.data]
        }
        if let kind = search.kind { clauses.append("kind = ?"); args.append(kind.name) }
        if let category = search.category { clauses.append("(category = ? OR category LIKE ? ESCAPE '\\')"); args += [category, Self.likeEscaped(category) + "/%"] }
        if let author = search.author { clauses.append("author = ?"); args.append(author.data) }
        if let severity = search.severity { clauses.append("severity = ?"); args.append(Int(severity.rawValue)) }
        if let label = search.label { clauses.append("instr(char(10) || labels || char(10), char(10) || ? || char(10)) > 0"); args.append(label) }
        if let text = search.text {
            clauses.append("(value LIKE ? ESCAPE '\\' OR note LIKE ? ESCAPE '\\')")
            let pattern = "%" + Self.likeEscaped(text) + "%"
            args += [pattern, pattern]
        }
        switch search.status {
        case .active: clauses.append(SignalRow.activeCondition); args.append(now)
        case .retracted: clauses.append("retractedBy IS NOT NULL")
        case .expired: clauses.append("retractedBy IS NULL AND expiresAt IS NOT NULL AND expiresAt <= ?"); args.append(now)
        case .all: break
        }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        args.append(search.limit)
        return try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(SignalRow.columns) FROM signal \(whereSQL) ORDER BY publishedAt DESC, id LIMIT ?",
                             arguments: StatementArguments(args)).map(SignalRow.init)
        }
    }

    static func likeEscaped(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    /// The overview's counts, with the per-day chart from `sinceDay` (days since the epoch, UTC).
    public func overviewCounts(sinceDay: Int64, now: Int64 = .nowMillis, disputedLimit: Int = 20) throws -> OverviewCounts {
        try database.writer.read { db in
            var o = OverviewCounts()
            for row in try Row.fetchAll(db, sql: """
                SELECT kind, CASE WHEN instr(category, '/') > 0 THEN substr(category, 1, instr(category, '/') - 1) ELSE category END AS c,
                       severity, \(SignalRow.activeCondition) AS active, COUNT(*) AS n
                FROM signal GROUP BY kind, c, severity, active
                """, arguments: [now]) {
                let n: Int = row["n"]
                o.signals += n
                if row["active"] as Bool { o.active += n }
                o.byKind[row["kind"], default: 0] += n
                o.byCategory[row["c"], default: 0] += n
                let severity = Severity(rawValue: UInt8(row["severity"] as Int))?.description ?? "?"
                o.bySeverity[severity, default: 0] += n
            }
            let since = sinceDay * 86_400_000
            var days: [String: OverviewCounts.Day] = [:]
            func slot(_ day: Int64, _ author: Data) -> String { "\(day) \(author.base64EncodedString())" }
            for row in try Row.fetchAll(db, sql: """
                SELECT author, timestamp / 86400000 AS d, COUNT(*) AS n FROM entry
                WHERE bodyType IN (?, ?) AND timestamp >= ? GROUP BY author, d
                """, arguments: [Int(BodyType.publish), Int(BodyType.sealed), since]) {
                let author: Data = row["author"], d: Int64 = row["d"]
                let key = try PublicKey(bytes: author)
                days[slot(d, author), default: .init(day: d, author: key)].published += row["n"] as Int
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT author, timestamp / 86400000 AS d, COUNT(*) AS n FROM entry
                WHERE bodyType = ? AND timestamp >= ? GROUP BY author, d
                """, arguments: [Int(BodyType.retract), since]) {
                let author: Data = row["author"], d: Int64 = row["d"]
                let key = try PublicKey(bytes: author)
                days[slot(d, author), default: .init(day: d, author: key)].retracted += row["n"] as Int
            }
            o.daily = days.values.sorted { ($0.day, $0.author.data.base64EncodedString()) < ($1.day, $1.author.data.base64EncodedString()) }
            o.disputed = try Row.fetchAll(db, sql: """
                SELECT target, COUNT(*) AS n FROM opinion WHERE stance = ? GROUP BY target ORDER BY n DESC, target LIMIT ?
                """, arguments: [Int(Opinion.Stance.dispute.rawValue), disputedLimit]).map { (try EntryID(bytes: $0["target"] as Data), $0["n"]) }
            o.equivocators = try Data.fetchAll(db, sql: "SELECT key FROM author WHERE equivocating = 1 ORDER BY key").map { try PublicKey(bytes: $0) }
            return o
        }
    }
}

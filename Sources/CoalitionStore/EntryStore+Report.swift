import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB

/// What the coalition-wide part of a transparency report counts, read from the merged state
/// only (signed entries and the CRDT tables): every node holding the same entries reads the
/// same tallies. Restricted (sealed) signals are counted per member only, since a node that is
/// not a recipient cannot read their category or kind.
public struct ReportTallies: Sendable, Equatable {
    /// One row of the report: a member's signals of one category and kind.
    public struct Key: Sendable, Hashable {
        public var author: PublicKey
        public var category: String
        public var kind: String

        public init(author: PublicKey, category: String, kind: String) {
            self.author = author
            self.category = category
            self.kind = kind
        }
    }
    /// Public signals published in the period (their signed timestamp).
    public var published: [Key: Int] = [:]
    /// Signals retracted in the period (the winning retraction's signed timestamp), by reason.
    public var retracted: [Key: [String: Int]] = [:]
    /// Signals published in the period with at least one `dispute` opinion in the merged state.
    public var disputed: [Key: Int] = [:]
    /// Signals published in the period with at least one `confirm` opinion.
    public var confirmed: [Key: Int] = [:]
    /// Restricted (sealed) signals published in the period, per member.
    public var restricted: [PublicKey: Int] = [:]
    /// Authors flagged as equivocators (two entries at one sequence number).
    public var equivocators: [PublicKey] = []

    public init() {}
}

/// What the local part of a transparency report counts: this node's own use, never shared.
public struct LocalReportFigures: Sendable, Equatable {
    /// Lookups answered in the period (whole UTC days).
    public var lookups = 0
    /// Lookups that matched, by the matched signal's category.
    public var matchesByCategory: [String: Int] = [:]
    /// Overrides set in the period, by action (`ignore`, `flag`).
    public var overrides: [String: Int] = [:]
    /// Signals of other members published in the period and received here.
    public var arrivals = 0
    /// The median of (received here − signed publish time), in milliseconds, to 10 ms.
    public var medianArrivalMillis: Int64?

    public init() {}
}

extension EntryStore {
    /// The coalition-wide tallies for signals in `[from, to)` (ms since the epoch).
    public func reportTallies(from: Int64, to: Int64) throws -> ReportTallies {
        try database.writer.read { db in try Self.reportTallies(from: from, to: to, in: db) }
    }

    static func reportTallies(from: Int64, to: Int64, in db: Database) throws -> ReportTallies {
        var t = ReportTallies()
        func key(_ row: Row) throws -> ReportTallies.Key {
            ReportTallies.Key(author: try PublicKey(bytes: row["author"] as Data), category: row["category"], kind: row["kind"])
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT author, category, kind, COUNT(*) AS n FROM entry
            WHERE bodyType = ? AND timestamp >= ? AND timestamp < ? GROUP BY author, category, kind
            """, arguments: [Int(BodyType.publish), from, to]) {
            t.published[try key(row)] = row["n"]
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT author, COUNT(*) AS n FROM entry WHERE bodyType = ? AND timestamp >= ? AND timestamp < ? GROUP BY author
            """, arguments: [Int(BodyType.sealed), from, to]) {
            t.restricted[try PublicKey(bytes: row["author"] as Data)] = row["n"]
        }
        // The winning retraction is the author's own entry at `retractSeq`.
        for row in try Row.fetchAll(db, sql: """
            SELECT s.author AS author, s.category AS category, s.kind AS kind, s.retractReason AS reason, COUNT(*) AS n
            FROM entry s JOIN entry r ON r.author = s.author AND r.seq = s.retractSeq
            WHERE s.bodyType = ? AND s.retractedBy IS NOT NULL AND r.timestamp >= ? AND r.timestamp < ?
            GROUP BY s.author, s.category, s.kind, s.retractReason
            """, arguments: [Int(BodyType.publish), from, to]) {
            t.retracted[try key(row), default: [:]][row["reason"] ?? "", default: 0] += row["n"] as Int
        }
        // Opinions are few next to signals: read the opinion targets, then each target's row.
        let signalOf = try db.cachedStatement(sql: """
            SELECT author, category, kind FROM entry
            WHERE idKey = ? AND id = ? AND bodyType = ? AND timestamp >= ? AND timestamp < ?
            """)
        for row in try Row.fetchAll(db, sql: """
            SELECT target, MAX(stance = ?) AS disputed, MAX(stance = ?) AS confirmed FROM opinion GROUP BY target
            """, arguments: [Int(Opinion.Stance.dispute.rawValue), Int(Opinion.Stance.confirm.rawValue)]) {
            let target = try EntryID(bytes: row["target"] as Data)
            guard let s = try Row.fetchOne(signalOf, arguments: [target.storageKey, target.data, Int(BodyType.publish), from, to]) else { continue }
            let k = try key(s)
            if row["disputed"] as Bool { t.disputed[k, default: 0] += 1 }
            if row["confirmed"] as Bool { t.confirmed[k, default: 0] += 1 }
        }
        t.equivocators = try Data.fetchAll(db, sql: "SELECT key FROM author WHERE equivocating = 1 ORDER BY key").map { try PublicKey(bytes: $0) }
        return t
    }

    /// This node's own figures for `[from, to)`; `own` are the keys this node has signed with
    /// (their signals are not arrivals).
    public func localReportFigures(from: Int64, to: Int64, own: [PublicKey]) throws -> LocalReportFigures {
        try database.writer.read { db in
            var f = LocalReportFigures()
            let days = (UsageDay.day(of: from), UsageDay.day(of: to - 1))
            for row in try Row.fetchAll(db, sql: "SELECT category, SUM(lookups) AS l, SUM(matches) AS m FROM usageDaily WHERE day >= ? AND day <= ? GROUP BY category",
                                        arguments: [days.0, days.1]) {
                let category: String = row["category"]
                if category.isEmpty { f.lookups = row["l"] } else { f.matchesByCategory[category] = row["m"] }
            }
            for row in try Row.fetchAll(db, sql: "SELECT action, COUNT(*) AS n FROM localOverride WHERE createdAt >= ? AND createdAt < ? GROUP BY action",
                                        arguments: [from, to]) {
                f.overrides[row["action"]] = row["n"]
            }
            // A histogram of 10 ms buckets: the exact median to its resolution, without sorting.
            let placeholders = own.isEmpty ? "" : " AND author NOT IN (" + own.map { _ in "?" }.joined(separator: ",") + ")"
            var args: [any DatabaseValueConvertible] = [Int(BodyType.publish), Int(BodyType.sealed), from, to]
            args += own.map(\.data)
            var buckets: [(Int64, Int)] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT MAX(receivedAt - timestamp, 0) / 10 AS b, COUNT(*) AS n FROM entry
                WHERE bodyType IN (?, ?) AND timestamp >= ? AND timestamp < ?\(placeholders) GROUP BY b ORDER BY b
                """, arguments: StatementArguments(args)) {
                buckets.append((row["b"], row["n"]))
            }
            f.arrivals = buckets.reduce(0) { $0 + $1.1 }
            if f.arrivals > 0 {
                var seen = 0
                for (b, n) in buckets {
                    seen += n
                    if seen * 2 >= f.arrivals { f.medianArrivalMillis = b * 10; break }
                }
            }
            return f
        }
    }

    /// Adds lookup and match counts to today's usage row (the query layer flushes its counters).
    public func recordUsage(day: Int64, lookups: Int, matchesByCategory: [String: Int]) throws {
        guard lookups > 0 || !matchesByCategory.isEmpty else { return }
        try database.writer.write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO usageDaily (day, category, lookups, matches) VALUES (?, ?, ?, ?)
                ON CONFLICT (day, category) DO UPDATE SET lookups = lookups + excluded.lookups, matches = matches + excluded.matches
                """)
            if lookups > 0 { try upsert.execute(arguments: [day, "", lookups, 0]) }
            for (category, n) in matchesByCategory where n > 0 { try upsert.execute(arguments: [day, category, 0, n]) }
        }
    }
}

/// UTC days as the usage table numbers them: days since 1970-01-01.
public enum UsageDay {
    public static func day(of millis: Int64) -> Int64 { millis >= 0 ? millis / 86_400_000 : (millis - 86_399_999) / 86_400_000 }
}

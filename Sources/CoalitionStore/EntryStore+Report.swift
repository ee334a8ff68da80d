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
    /// The tallies and local figures of `[from, to)` (ms since the epoch); `own` are the keys
    /// this node has signed with (their signals are not arrivals).
    ///
    /// One pass over the signal rows, counting in memory: grouping 10 million rows in SQL
    /// (a sort each for the publications, the restricted signals, the retractions and the
    /// arrival times) took about 33 full scans' time; this takes a few. Then the opinion
    /// targets (few next to signals) and the retractions (1 in 100) are read by index.
    public func report(from: Int64, to: Int64, own: [PublicKey]) throws -> (tallies: ReportTallies, local: LocalReportFigures) {
        try database.writer.read { db in
            var t = ReportTallies()
            var f = LocalReportFigures()
            let ownKeys = Set(own.map(\.raw))
            var authors = Interner<Bytes32>(), texts = TextInterner()
            var published: [Int: Int] = [:], restricted: [Int: Int] = [:], arrivals: [Int64: Int] = [:]
            var retractions: [(author: Int, key: Int, seq: Int64, reason: String)] = []
            let scan = try RawStatement(db, """
                SELECT author, bodyType, category, kind, timestamp, receivedAt, retractSeq, retractReason FROM entry WHERE bodyType IN (?, ?)
                """)
            scan.bind(1, Int(BodyType.publish))
            scan.bind(2, Int(BodyType.sealed))
            try scan.forEach { row in
                guard let raw = row.bytes32(0) else { return }
                let author = authors.index(of: raw)
                let timestamp = row.int64(4)
                let inPeriod = timestamp >= from && timestamp < to
                if inPeriod, !ownKeys.contains(raw) {
                    arrivals[max(row.int64(5) - timestamp, 0) / 10, default: 0] += 1
                }
                guard row.int64(1) == Int64(BodyType.publish) else {
                    if inPeriod { restricted[author, default: 0] += 1 }
                    return
                }
                let key = author << 40 | texts.index(of: row.textBytes(2)) << 20 | texts.index(of: row.textBytes(3))
                if inPeriod { published[key, default: 0] += 1 }
                if let seq = row.optionalInt64(6) { retractions.append((author, key, seq, row.optionalText(7) ?? "")) }
            }
            func tallyKey(_ key: Int) -> ReportTallies.Key {
                ReportTallies.Key(author: PublicKey(raw: authors.values[key >> 40]), category: texts.values[(key >> 20) & 0xFFFFF],
                                  kind: texts.values[key & 0xFFFFF])
            }
            for (key, n) in published { t.published[tallyKey(key)] = n }
            for (author, n) in restricted { t.restricted[PublicKey(raw: authors.values[author])] = n }
            // The winning retraction is the author's own entry at `retractSeq`: counted when its
            // signed timestamp is in the period.
            let retraction = try RawStatement(db, "SELECT timestamp FROM entry WHERE author = ? AND seq = ?")
            for r in retractions {
                retraction.bind(1, authors.values[r.author])
                retraction.bind(2, r.seq)
                guard let at = try retraction.first({ $0.int64(0) }), at >= from, at < to else { continue }
                t.retracted[tallyKey(r.key), default: [:]][r.reason, default: 0] += 1
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
                let k = ReportTallies.Key(author: try PublicKey(bytes: s["author"] as Data), category: s["category"], kind: s["kind"])
                if row["disputed"] as Bool { t.disputed[k, default: 0] += 1 }
                if row["confirmed"] as Bool { t.confirmed[k, default: 0] += 1 }
            }
            t.equivocators = try Data.fetchAll(db, sql: "SELECT key FROM author WHERE equivocating = 1 ORDER BY key").map { try PublicKey(bytes: $0) }

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
            f.arrivals = arrivals.values.reduce(0, +)
            var seen = 0
            for (bucket, n) in arrivals.sorted(by: { $0.key < $1.key }) {
                seen += n
                if seen * 2 >= f.arrivals { f.medianArrivalMillis = bucket * 10; break }
            }
            return (t, f)
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

/// Small numbers for the few distinct values of a column (authors), in order of first sight.
struct Interner<Value: Hashable> {
    private(set) var values: [Value] = []
    private var indexes: [Value: Int] = [:]

    mutating func index(of value: Value) -> Int {
        if let i = indexes[value] { return i }
        values.append(value)
        indexes[value] = values.count - 1
        return values.count - 1
    }
}

/// ``Interner`` for text columns read in place: a row's bytes are hashed and compared without
/// making a String, which is made once per distinct value.
struct TextInterner {
    private(set) var values: [String] = []
    private var bytes: [[UInt8]] = []
    private var byHash: [UInt64: [Int]] = [:]

    mutating func index(of text: UnsafeRawBufferPointer) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        if let candidates = byHash[h] {
            for i in candidates where bytes[i].count == text.count && bytes[i].withUnsafeBytes({ $0.elementsEqual(text) }) { return i }
        }
        bytes.append(Array(text))
        values.append(String(decoding: text, as: UTF8.self))
        byHash[h, default: []].append(values.count - 1)
        return values.count - 1
    }
}

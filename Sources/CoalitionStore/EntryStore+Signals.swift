import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB
import Logging
import Synchronization

// Reading the merged state: signals, indicators, lists, opinions and verdicts.
extension EntryStore {
    /// One signal by ID.
    public func signal(_ id: EntryID) throws -> SignalRow? {
        try database.writer.read { db in
            try db.row("SELECT \(SignalRow.columns) FROM signal WHERE idKey = ? AND id = ?", [id.storageKey, id.data]).map(SignalRow.init)
        }
    }

    /// Every signal of an indicator (kind, canonical value), active or not, sorted by ID.
    public func signals(kind: SignalKind, value: String) throws -> [SignalRow] {
        try database.writer.read { db in
            try db.rows("SELECT \(SignalRow.columns) FROM signal WHERE indicatorKey = ? AND kind = ? AND value = ? ORDER BY id",
                        [IndicatorKey(kind: kind, value: value).storageKey, kind.name, value]).map(SignalRow.init)
        }
    }

    /// Every signal of an indicator (kind, canonical value), active or not, sorted by ID, each
    /// with the winning opinions on it sorted by author: what a lookup that matched shows.
    ///
    /// One read transaction, so the signals and opinions are one consistent state. On a database
    /// file this goes through ``IndicatorReader`` (the API's hot path for stored values).
    public func indicator(kind: SignalKind, value: String) throws -> [(signal: SignalRow, opinions: [OpinionRow])] {
        try indicators([(kind, value)])[0]
    }

    /// ``indicator(kind:value:)`` for several keys at once, read from one snapshot (a lookup
    /// batch's hits in one transaction). The answer has one element per key, in order.
    public func indicators(_ keys: [(kind: SignalKind, value: String)]) throws -> [[(signal: SignalRow, opinions: [OpinionRow])]] {
        if let indicatorReader { return try indicatorReader.indicators(keys) }
        return try database.writer.read { db in
            try keys.map { kind, value in
                let signals = try db.rows("SELECT \(SignalRow.columns) FROM signal WHERE indicatorKey = ? AND kind = ? AND value = ? ORDER BY id",
                                          [IndicatorKey(kind: kind, value: value).storageKey, kind.name, value]).map(SignalRow.init)
                return try signals.map { ($0, try Self.opinions(on: $0.id, in: db)) }
            }
        }
    }

    /// A filtered page of signals, newest first.
    /// - Parameters:
    ///   - since: only signals published at or after this time (ms since the epoch).
    ///   - after: the last row of the previous page (its `publishedAt` and ID): the page continues
    ///     after it in the same order.
    public func listSignals(kind: SignalKind? = nil, category: String? = nil, author: PublicKey? = nil,
                            includeInactive: Bool = false, since: Int64? = nil, after: (publishedAt: Int64, id: EntryID)? = nil,
                            now: Int64 = .nowMillis, limit: Int = 100) throws -> [SignalRow] {
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let since { clauses.append("publishedAt >= ?"); args.append(since) }
        if let after {
            clauses.append("(publishedAt < ? OR (publishedAt = ? AND id > ?))")
            args.append(after.publishedAt); args.append(after.publishedAt); args.append(after.id.data)
        }
        if let kind { clauses.append("kind = ?"); args.append(kind.name) }
        if let category { clauses.append("(category = ? OR category LIKE ?)"); args.append(category); args.append(category + "/%") }
        if let author { clauses.append("author = ?"); args.append(author.data) }
        if !includeInactive { clauses.append(SignalRow.activeCondition); args.append(now) }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        args.append(limit)
        return try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(SignalRow.columns) FROM signal \(whereSQL) ORDER BY publishedAt DESC, id LIMIT ?",
                             arguments: StatementArguments(args)).map(SignalRow.init)
        }
    }

    /// The winning opinions on a signal, sorted by author.
    public func opinions(on target: EntryID) throws -> [OpinionRow] {
        try database.writer.read { db in try Self.opinions(on: target, in: db) }
    }

    private static func opinions(on target: EntryID, in db: Database) throws -> [OpinionRow] {
        try db.rows("SELECT * FROM opinion WHERE target = ? ORDER BY author", [target.data]).map { row in
            OpinionRow(author: try PublicKey(bytes: row["author"] as Data), target: target,
                       entry: try EntryID(bytes: row["entry"] as Data), seq: UInt64(row["seq"] as Int64),
                       stance: Opinion.Stance(rawValue: UInt8(row["stance"] as Int)) ?? .seen,
                       note: row["note"], timestamp: row["timestamp"])
        }
    }

    /// The aggregate verdict of a signal.
    public func verdict(of target: EntryID) throws -> Verdict {
        let ops = try opinions(on: target)
        return Verdict(confirms: ops.count { $0.stance == .confirm }, disputes: ops.count { $0.stance == .dispute })
    }
}

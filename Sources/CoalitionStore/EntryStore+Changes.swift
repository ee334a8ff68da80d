import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB
import Logging
import Synchronization

// The change table as the commit feed and the start-up index load read it.
extension EntryStore {
    /// Changes caused by entries after `cursor`, oldest first, for at most `limit` entries, read
    /// from the table (``CommitFeed/read(after:limit:)`` serves them from memory when it can).
    public func changes(after cursor: Int64, limit: Int = 1000) throws -> [ChangeRecord] {
        try database.writer.read { db in try Self.changePage(db, after: cursor, limit: limit).changes }
    }

    /// The changes after `cursor` (whole entries, at most `limit` of them) with what subscribers
    /// need of each signal, and the newest cursor, in one read transaction. Read from the table,
    /// `live` says whether the signal is in force now rather than on arrival.
    static func changePage(_ db: Database, after cursor: Int64, limit: Int) throws -> (changes: [ChangeRecord], through: Int64) {
        let through = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(localSeq) FROM entry")) ?? 0
        guard limit > 0, through > cursor else { return ([], through) }
        var out: [ChangeRecord] = []
        var retractedTargets: [Int64: [EntryID]] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT localSeq, effect, id, target, receivedAt, kind, value, retractedBy IS NULL AS live, bodyType
            FROM entry WHERE localSeq > ? AND effect != 0 ORDER BY localSeq LIMIT ?
            """, arguments: [cursor, limit])
        for row in rows where (row["effect"] as Int) & ChangeRecord.Kind.retracted.bit != 0 {
            if let t = try (row["target"] as Data?).map({ try EntryID(bytes: $0) }) { retractedTargets[t.storageKey, default: []].append(t) }
        }
        // The kinds and values of retracted signals, in one query rather than one per change.
        var retracted: [EntryID: (SignalKind, String)] = [:]
        if !retractedTargets.isEmpty {
            let keys = retractedTargets.keys.map(String.init).joined(separator: ",")
            for r in try Row.fetchAll(db, sql: "SELECT id, kind, value FROM entry WHERE idKey IN (\(keys)) AND kind IS NOT NULL") {
                let id = try EntryID(bytes: r["id"] as Data)
                if let kind = try? SignalKind(name: r["kind"]) { retracted[id] = (kind, r["value"]) }
            }
        }
        for row in rows {
            let effect: Int = row["effect"]
            let id = try EntryID(bytes: row["id"] as Data)
            let target = try (row["target"] as Data?).map { try EntryID(bytes: $0) }
            let cursor: Int64 = row["localSeq"], at: Int64 = row["receivedAt"]
            for kind in ChangeRecord.Kind.allCases where effect & kind.bit != 0 {
                switch kind {
                case .added:
                    let signalKind = (row["kind"] as String?).flatMap { try? SignalKind(name: $0) }
                    out.append(ChangeRecord(cursor: cursor, kind: kind, signal: id, entry: id, at: at, signalKind: signalKind, value: row["value"],
                                            live: row["live"], restricted: UInt16(row["bodyType"] as Int) == BodyType.sealed))
                case .retracted:
                    let t = target.flatMap { retracted[$0] }
                    out.append(ChangeRecord(cursor: cursor, kind: kind, signal: target, entry: id, at: at, signalKind: t?.0, value: t?.1))
                case .opinion:
                    out.append(ChangeRecord(cursor: cursor, kind: kind, signal: target, entry: id, at: at))
                case .equivocation, .rotation:
                    out.append(ChangeRecord(cursor: cursor, kind: kind, signal: nil, entry: id, at: at))
                }
            }
        }
        return (out, through)
    }

    /// The indicator key (``IndicatorKey/storageKey``) of every stored signal, retracted or not,
    /// streamed from the covering index without materialising rows: the start-up load of the
    /// API's exact-lookup filter.
    public func forEachIndicatorKey(_ body: (Int64) throws -> Void) throws {
        try scan { db in
            try RawStatement(db, "SELECT indicatorKey FROM entry WHERE indicatorKey IS NOT NULL").forEach { row in
                try body(row.int64(0))
            }
        }
    }

    /// Every signal of `kinds` that is not retracted, as (ID, kind, value), streamed in store
    /// order without materialising rows: the start-up load of the API's PDQ and trend indexes.
    public func forEachLiveSignal(kinds: [SignalKind], _ body: (EntryID, SignalKind, String) throws -> Void) throws {
        let byName = Dictionary(kinds.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let list = kinds.map { "'\($0.name)'" }.joined(separator: ",")
        try scan { db in
            try RawStatement(db, "SELECT id, kind, value FROM entry WHERE kind IN (\(list)) AND retractedBy IS NULL ORDER BY localSeq").forEach { row in
                guard let kind = byName[row.text(1)] else { return }
                try body(try EntryID(bytes: row.blob(0)), kind, row.text(2))
            }
        }
    }

    /// Runs a whole-table read on a connection of its own, without memory-mapped I/O and with
    /// SQLite's default small page cache: a start-up scan of millions of rows would otherwise
    /// leave a gigabyte of mapped file pages counted in the node's resident memory. (An
    /// in-memory database is read through its only connection.)
    func scan(_ body: (Database) throws -> Void) throws {
        guard let pool = database.writer as? DatabasePool else { return try database.writer.read(body) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 0") }
        try DatabaseQueue(path: pool.path, configuration: config).read(body)
    }
}

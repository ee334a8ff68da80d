import CoalitionCore
import CoalitionCrypto
import GRDB
import GRDBSQLite
import Synchronization

/// Read-only SQLite connections of its own for the API's hottest read: the signals and opinions
/// of an indicator that a lookup matched.
///
/// Through GRDB's `DatabasePool`, each such read took a `Dispatch` queue hop, the pool's
/// checkout and a transaction, and the two event-loop threads contended on the pool's locks
/// (futex waits were a sixth of the server's time under batch lookups). Here a thread takes an
/// idle connection from a list behind a mutex held for a pop or a push, and runs two prepared
/// statements inside `BEGIN`/`COMMIT`, so signals and opinions come from one snapshot.
/// Connections are opened on demand, without mmap and with a 16 MiB page cache each, like the
/// pool's readers; at most `maxIdle` are kept.
final class IndicatorReader: Sendable {
    private let path: String
    private let maxIdle: Int
    private let idle = Mutex<[Connection]>([])

    init(path: String, maxIdle: Int = 8) {
        self.path = path
        self.maxIdle = maxIdle
    }

    /// For each key, every signal of the indicator sorted by ID, each with its opinions sorted by
    /// author; all read from one snapshot (one transaction for a whole lookup batch).
    func indicators(_ keys: [(kind: SignalKind, value: String)]) throws -> [[(signal: SignalRow, opinions: [OpinionRow])]] {
        if keys.isEmpty { return [] }
        let connection = try idle.withLock { $0.popLast() } ?? Connection(path: path)
        defer { idle.withLock { if $0.count < maxIdle { $0.append(connection) } } }
        return try connection.indicators(keys)
    }

    /// One connection and its prepared statements; used by one thread at a time.
    final class Connection: @unchecked Sendable {
        private var db: OpaquePointer?
        private let signals: RawStatement
        private let opinions: RawStatement
        private let begin: RawStatement
        private let commit: RawStatement
        private let rollback: RawStatement

        init(path: String) throws {
            guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db else {
                let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
                sqlite3_close_v2(db)
                throw DatabaseError(resultCode: .SQLITE_CANTOPEN, message: "opening \(path) for lookups: \(message)")
            }
            sqlite3_busy_timeout(db, 10_000)
            sqlite3_exec(db, "PRAGMA cache_size = -16384; PRAGMA mmap_size = 0", nil, nil, nil)
            var prepared: [RawStatement] = []
            do {
                // Sorted by ID here rather than by SQLite: almost every indicator has one signal,
                // and ORDER BY would set up a sorter for each read.
                for sql in ["SELECT \(SignalRow.columns) FROM signal WHERE indicatorKey = ?1 AND kind = ?2 AND value = ?3",
                            "SELECT author, entry, seq, stance, note, timestamp FROM opinion WHERE target = ?1 ORDER BY author",
                            "BEGIN", "COMMIT", "ROLLBACK"] {
                    prepared.append(try RawStatement(connection: db, sql))
                }
            } catch {
                for p in prepared { p.finalize() }
                sqlite3_close_v2(db)
                throw error
            }
            (signals, opinions, begin, commit, rollback) = (prepared[0], prepared[1], prepared[2], prepared[3], prepared[4])
        }

        deinit {
            for statement in [signals, opinions, begin, commit, rollback] { statement.finalize() }
            sqlite3_close_v2(db)
        }

        func indicators(_ keys: [(kind: SignalKind, value: String)]) throws -> [[(signal: SignalRow, opinions: [OpinionRow])]] {
            try begin.execute()
            do {
                let result = try keys.map { try read(kind: $0.kind, value: $0.value) }
                try commit.execute()
                return result
            } catch {
                _ = try? rollback.execute()
                throw error
            }
        }

        private func read(kind: SignalKind, value: String) throws -> [(signal: SignalRow, opinions: [OpinionRow])] {
            signals.bind(1, IndicatorKey(kind: kind, value: value).storageKey)
            signals.bind(2, kind.name)
            signals.bind(3, value)
            var rows: [SignalRow] = []
            try signals.forEach { rows.append(SignalRow(raw: $0)) }
            if rows.count > 1 { rows.sort { $0.id < $1.id } }
            return try rows.map { signal in
                opinions.bind(1, signal.id)
                var list: [OpinionRow] = []
                try opinions.forEach { r in
                    list.append(OpinionRow(author: r.publicKey(0), target: signal.id, entry: r.entryID(1),
                                           seq: UInt64(r.int64(2)), stance: Opinion.Stance(rawValue: UInt8(truncatingIfNeeded: r.int64(3))) ?? .seen,
                                           note: r.optionalText(4), timestamp: r.int64(5)))
                }
                return (signal, list)
            }
        }
    }
}

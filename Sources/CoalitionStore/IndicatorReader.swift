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
        private var signals: OpaquePointer?
        private var opinions: OpaquePointer?
        private var begin: OpaquePointer?
        private var commit: OpaquePointer?
        private var rollback: OpaquePointer?

        init(path: String) throws {
            guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
                defer { sqlite3_close_v2(db) }
                throw failure("opening \(path) for lookups")
            }
            sqlite3_busy_timeout(db, 10_000)
            sqlite3_exec(db, "PRAGMA cache_size = -16384; PRAGMA mmap_size = 0", nil, nil, nil)
            // Sorted by ID here rather than by SQLite: almost every indicator has one signal, and
            // ORDER BY would set up a sorter for each read.
            signals = try prepare("SELECT \(SignalRow.columns) FROM signal WHERE indicatorKey = ?1 AND kind = ?2 AND value = ?3")
            opinions = try prepare("SELECT author, entry, seq, stance, note, timestamp FROM opinion WHERE target = ?1 ORDER BY author")
            begin = try prepare("BEGIN")
            commit = try prepare("COMMIT")
            rollback = try prepare("ROLLBACK")
        }

        deinit {
            for statement in [signals, opinions, begin, commit, rollback] { sqlite3_finalize(statement) }
            sqlite3_close_v2(db)
        }

        func indicators(_ keys: [(kind: SignalKind, value: String)]) throws -> [[(signal: SignalRow, opinions: [OpinionRow])]] {
            try run(begin)
            do {
                let result = try keys.map { try read(kind: $0.kind, value: $0.value) }
                try run(commit)
                return result
            } catch {
                _ = try? run(rollback)
                throw error
            }
        }

        private func read(kind: SignalKind, value: String) throws -> [(signal: SignalRow, opinions: [OpinionRow])] {
            defer { sqlite3_reset(signals); sqlite3_clear_bindings(signals) }
            sqlite3_bind_int64(signals, 1, IndicatorKey(kind: kind, value: value).storageKey)
            bind(signals, 2, kind.name)
            bind(signals, 3, value)
            var rows: [SignalRow] = []
            while try step(signals) { rows.append(SignalRow(raw: RawStatement.Row(signals!))) }
            if rows.count > 1 { rows.sort { $0.id < $1.id } }
            return try rows.map { signal in
                defer { sqlite3_reset(opinions); sqlite3_clear_bindings(opinions) }
                signal.id.raw.withUnsafeBytes { _ = sqlite3_bind_blob(opinions, 1, $0.baseAddress, Int32($0.count), Self.transient) }
                var list: [OpinionRow] = []
                while try step(opinions) {
                    let r = RawStatement.Row(opinions!)
                    list.append(OpinionRow(author: r.publicKey(0), target: signal.id, entry: r.entryID(1),
                                           seq: UInt64(r.int64(2)), stance: Opinion.Stance(rawValue: UInt8(truncatingIfNeeded: r.int64(3))) ?? .seen,
                                           note: r.optionalText(4), timestamp: r.int64(5)))
                }
                return (signal, list)
            }
        }

        private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

        private func bind(_ statement: OpaquePointer?, _ index: Int32, _ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { chars in
                    _ = sqlite3_bind_text(statement, index, chars.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(chars.count), Self.transient)
                }
            }
        }

        private func prepare(_ sql: String) throws -> OpaquePointer? {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK else {
                throw failure("preparing a lookup statement")
            }
            return statement
        }

        /// Steps a query: true when a row is ready.
        private func step(_ statement: OpaquePointer?) throws -> Bool {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: return true
            case SQLITE_DONE: return false
            default: throw failure("reading an indicator")
            }
        }

        private func run(_ statement: OpaquePointer?) throws {
            defer { sqlite3_reset(statement) }
            guard sqlite3_step(statement) == SQLITE_DONE else { throw failure("running a lookup transaction") }
        }

        /// The error SQLite reports on the connection, as GRDB's `DatabaseError` (the store's other reads throw it too).
        private func failure(_ doing: String) -> DatabaseError {
            let code = db.map { sqlite3_extended_errcode($0) } ?? SQLITE_NOMEM
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            return DatabaseError(resultCode: ResultCode(rawValue: code), message: "\(doing): \(message)")
        }
    }
}

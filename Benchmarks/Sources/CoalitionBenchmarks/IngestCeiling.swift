import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Dispatch
import Foundation
import GRDB
import GRDBSQLite

/// The best ingest ratio this machine allows with the mandated parts, measured in the same run
/// as the trials: what verify + store would reach if Coalition's own code cost nothing.
///
/// Per entry it times the two costs that no implementation of the spec can avoid besides the
/// signature check itself:
/// - hashing: SHA-256 of the entry's bytes, which is its ID (on all cores);
/// - storing: one row of `entry` with the columns the real path writes, through a single
///   prepared `INSERT` on a fresh store with the real schema and pragmas, 25,000 rows per
///   transaction, then the three entry indexes built once (the bulk-load path's shape). No
///   merge logic, no opinion or retraction tables, no chain checks: a lower bound on storage.
///
/// With `v` the CPU time of one raw verification, `h` of hashing and `s` of storing, all per
/// entry, the ceiling is `v / (v + h + s)`: the ratio at 100% of the cores with zero overhead
/// beyond these. Parsing and body decoding are left out, so the true ceiling is lower.
struct IngestCeiling {
    /// CPU seconds per entry.
    var verify, hash, store: Double
    var ratio: Double { verify / (verify + hash + store) }

    static func measure(_ entries: [Entry], rawVerifyRate: Double, directory: URL) throws -> IngestCeiling {
        let verify = Double(cores) / rawVerifyRate
        return IngestCeiling(verify: verify, hash: try hashCost(entries), store: try storeCost(entries, directory: directory))
    }

    /// CPU seconds per entry to hash every entry's bytes, spread over all cores.
    static func hashCost(_ entries: [Entry]) throws -> Double {
        let cpu = processCPUSeconds()
        let parts = cores
        let size = (entries.count + parts - 1) / parts
        let sink = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: parts)
        defer { sink.deallocate() }
        struct Box: @unchecked Sendable { let p: UnsafeMutableBufferPointer<UInt8> }
        let box = Box(p: sink)
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var x: UInt8 = 0
            for e in entries[min(part * size, entries.count)..<min((part + 1) * size, entries.count)] {
                x ^= e.bytes.withUnsafeBytes { SHA256.hash($0) }[0]
            }
            box.p[part] = x
        }
        return (processCPUSeconds() - cpu) / Double(entries.count)
    }

    /// The columns one entry's row gets, computed before the timed region.
    private struct Row {
        var entry: Entry
        var idKey: Int64
        var target: [UInt8]?
        var signal: Signal?
        var indicatorKey: Int64?
    }

    /// CPU seconds per entry (user and system, single-threaded) to store the rows and build the indexes.
    static func storeCost(_ entries: [Entry], directory: URL) throws -> Double {
        let rows: [Row] = try entries.map { e in
            let body = try e.decodeBody()
            var row = Row(entry: e, idKey: Int64(bitPattern: e.id.bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }))
            switch body {
            case .publish(let s): row.signal = s; row.indicatorKey = s.indicator.storageKey
            case .retract(let r): row.target = r.target.bytes
            case .opinion(let o): row.target = o.target.bytes
            default: break
            }
            return row
        }
        let database = try AppDatabase.open(path: directory.appendingPathComponent("ceiling.sqlite").path)
        let writer = database.writer
        // The store's own bulk load drops the entry indexes here and builds them in `finish()`;
        // the rows in between bypass it.
        let bulk = try EntryStore(database: database, reader: nil).beginBulkLoad()
        let cpu = processCPUSeconds()
        for start in stride(from: 0, to: rows.count, by: 25_000) {
            try writer.write { db in
                let c = db.sqliteConnection
                var st: OpaquePointer?
                guard sqlite3_prepare_v2(c, """
                    INSERT INTO entry (id, author, seq, prev, timestamp, bodyType, readable, bytes, receivedAt, idKey, target, effect,
                                       kind, value, category, severity, tlp, labels, expiresAt, note, quality, indicatorKey)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)
                    """, -1, &st, nil) == SQLITE_OK else { throw DatabaseError(message: String(cString: sqlite3_errmsg(c))) }
                defer { sqlite3_finalize(st) }
                for row in rows[start..<min(start + 25_000, rows.count)] {
                    let e = row.entry
                    blob(st, 1, e.id.bytes); blob(st, 2, e.author.bytes); sqlite3_bind_int64(st, 3, Int64(e.seq))
                    blob(st, 4, e.prev.bytes); sqlite3_bind_int64(st, 5, e.timestamp); sqlite3_bind_int64(st, 6, Int64(e.bodyType))
                    blob(st, 7, e.bytes); sqlite3_bind_int64(st, 8, 1_767_225_600_000); sqlite3_bind_int64(st, 9, row.idKey)
                    if let t = row.target { blob(st, 10, t) } else { sqlite3_bind_null(st, 10) }
                    if let s = row.signal {
                        sqlite3_bind_int64(st, 11, 1)
                        text(st, 12, s.kind.name); text(st, 13, s.value); text(st, 14, s.category)
                        sqlite3_bind_int64(st, 15, Int64(s.severity.rawValue)); sqlite3_bind_int64(st, 16, Int64(s.tlp.rawValue))
                        text(st, 17, s.labels.joined(separator: "\n"))
                        if let x = s.expiresAt { sqlite3_bind_int64(st, 18, x) } else { sqlite3_bind_null(st, 18) }
                        if let n = s.note { text(st, 19, n) } else { sqlite3_bind_null(st, 19) }
                        if let q = s.quality { sqlite3_bind_int64(st, 20, Int64(q)) } else { sqlite3_bind_null(st, 20) }
                        sqlite3_bind_int64(st, 21, row.indicatorKey!)
                    } else {
                        sqlite3_bind_int64(st, 11, 0)
                        for i in Int32(12)...21 { sqlite3_bind_null(st, i) }
                    }
                    guard sqlite3_step(st) == SQLITE_DONE else { throw DatabaseError(message: String(cString: sqlite3_errmsg(c))) }
                    sqlite3_reset(st)
                }
            }
        }
        try bulk.finish()
        return (processCPUSeconds() - cpu) / Double(entries.count)
    }

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private static func blob(_ st: OpaquePointer?, _ i: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = sqlite3_bind_blob(st, i, $0.baseAddress, Int32($0.count), transient) }
    }

    private static func text(_ st: OpaquePointer?, _ i: Int32, _ s: String) {
        _ = sqlite3_bind_text(st, i, s, -1, transient)
    }
}

import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB
import Logging
import Synchronization

// What sync and relay read: entries by arrival or by author, heads, and pending entries.
extension EntryStore {
    /// One stored entry.
    public func entry(_ id: EntryID) throws -> Entry? {
        try database.writer.read { db in
            try (Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE idKey = ? AND id = ?", arguments: [id.storageKey, id.data])).map { try Entry(decoding: [UInt8]($0)) }
        }
    }

    /// Entries in local arrival order after `localSeq` (a topological order: predecessors first).
    /// Returns `(localSeq, bytes)` pairs.
    public func entries(after localSeq: Int64 = 0, limit: Int = 1000) throws -> [(Int64, [UInt8])] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT localSeq, bytes FROM entry WHERE localSeq > ? ORDER BY localSeq LIMIT ?",
                             arguments: [localSeq, limit]).map { ($0["localSeq"], [UInt8]($0["bytes"] as Data)) }
        }
    }

    /// Author and seq of the entries after `localSeq`, in arrival order, without their bytes:
    /// enough to decide whether anyone needs them.
    public func entryHeaders(after localSeq: Int64, limit: Int = 1000) throws -> [(localSeq: Int64, author: PublicKey, seq: UInt64)] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT localSeq, author, seq FROM entry WHERE localSeq > ? ORDER BY localSeq LIMIT ?",
                             arguments: [localSeq, limit]).map { ($0["localSeq"], try PublicKey(bytes: $0["author"] as Data), UInt64($0["seq"] as Int64)) }
        }
    }

    /// The head of every known author.
    public func heads() throws -> [AuthorHead] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM author ORDER BY key").map { row in
                AuthorHead(author: try PublicKey(bytes: row["key"] as Data), seq: UInt64(row["headSeq"] as Int64),
                           id: try EntryID(bytes: row["headID"] as Data), entryCount: row["entryCount"],
                           equivocating: row["equivocating"])
            }
        }
    }

    /// The entries of `author` with `from ≤ seq ≤ to`, every branch of a fork included, in seq
    /// order; at most `limit` of them. Used to answer a peer's sync and range requests.
    public func entries(of author: PublicKey, from: UInt64, to: UInt64, limit: Int = 1000) throws -> [(seq: UInt64, bytes: [UInt8])] {
        try database.writer.read { db in
            // Bound and read directly: a bootstrap serves every stored entry through here, and
            // GRDB rows would copy each entry's bytes twice (into `Data`, then into an array).
            let st = try RawStatement(db, "SELECT seq, bytes FROM entry WHERE author = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq, localSeq LIMIT ?4")
            st.bind(1, author.bytes); st.bind(2, Int64(clamping: from)); st.bind(3, Int64(clamping: to)); st.bind(4, limit)
            var rows: [(seq: UInt64, bytes: [UInt8])] = []
            rows.reserveCapacity(Swift.min(limit, 4096))
            try st.forEach { rows.append((UInt64($0.int64(0)), $0.blob(1))) }
            return rows
        }
    }

    /// The IDs of the entries of `author` at `seq` (more than one only if the author forked).
    public func entryIDs(of author: PublicKey, seq: UInt64) throws -> [EntryID] {
        try database.writer.read { db in
            try Data.fetchAll(db, sql: "SELECT id FROM entry WHERE author = ? AND seq = ?", arguments: [author.data, Int64(clamping: seq)])
                .map { try EntryID(bytes: $0) }
        }
    }

    /// The number of entries held as pending for `author`.
    public func pendingCount(of author: PublicKey) throws -> Int {
        try database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending WHERE author = ?", arguments: [author.data]) ?? 0
        }
    }

    /// Drops the highest pending entries of `author` beyond `keep`; returns how many were dropped.
    /// Pending entries are not part of the state, so dropping them loses nothing a later sync
    /// cannot fetch again; it bounds what a member can make this node hold.
    @discardableResult
    public func trimPending(of author: PublicKey, keep: Int) throws -> Int {
        try database.writer.write { db in
            try db.execute(sql: """
                DELETE FROM pending WHERE id IN (SELECT id FROM pending WHERE author = ? ORDER BY seq DESC
                    LIMIT max(0, (SELECT COUNT(*) FROM pending WHERE author = ?) - ?))
                """, arguments: [author.data, author.data, keep])
            return db.changesCount
        }
    }

    /// The highest local arrival number (the change-feed cursor of the newest entry), or 0.
    public func lastLocalSeq() throws -> Int64 {
        try database.writer.read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(localSeq) FROM entry")) ?? 0 }
    }
}

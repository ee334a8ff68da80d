import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB
import Logging
import Synchronization

// Counts and the state digest (SPEC §8.10).
extension EntryStore {
    /// Counts of what the store holds.
    public func statistics(now: Int64 = .nowMillis) throws -> StoreStatistics {
        try database.writer.read { db in
            var s = StoreStatistics()
            s.entries = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry") ?? 0
            s.pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending") ?? 0
            s.authors = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM author") ?? 0
            s.signals = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM signal") ?? 0
            s.activeSignals = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM signal WHERE \(SignalRow.activeCondition)", arguments: [now]) ?? 0
            s.unreadable = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry WHERE bodyType = ? AND readable = 0", arguments: [Int(BodyType.sealed)]) ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM signal GROUP BY kind") {
                s.signalsByKind[row["kind"]] = row["n"]
            }
            // Top-level categories (the part before '/').
            for row in try Row.fetchAll(db, sql: """
                SELECT CASE WHEN instr(category, '/') > 0 THEN substr(category, 1, instr(category, '/') - 1) ELSE category END AS c,
                       COUNT(*) AS n FROM signal GROUP BY c
                """) {
                s.signalsByCategory[row["c"]] = row["n"]
            }
            return s
        }
    }

    /// The state digest of `Protocol/SPEC.md` §8.10, computed from the merged-state tables.
    /// Equal to `MergedState.digest()` for the same entries and reader.
    public func stateDigest() throws -> [UInt8] {
        try database.writer.read { db in
            var lines: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT id, retractedBy FROM signal") {
                lines.append(StateDigest.signalLine(id: try EntryID(bytes: row["id"] as Data),
                                                    retractedBy: try (row["retractedBy"] as Data?).map { try EntryID(bytes: $0) }))
            }
            for row in try Row.fetchAll(db, sql: "SELECT author, target, entry FROM opinion") {
                lines.append(StateDigest.opinionLine(author: try PublicKey(bytes: row["author"] as Data),
                                                     target: try EntryID(bytes: row["target"] as Data),
                                                     entry: try EntryID(bytes: row["entry"] as Data)))
            }
            for key in try Data.fetchAll(db, sql: "SELECT key FROM author WHERE equivocating = 1") {
                lines.append(StateDigest.equivocatorLine(try PublicKey(bytes: key)))
            }
            for row in try Row.fetchAll(db, sql: "SELECT author, successor FROM rotation") {
                lines.append(StateDigest.rotationLine(author: try PublicKey(bytes: row["author"] as Data),
                                                      successor: try PublicKey(bytes: row["successor"] as Data)))
            }
            for id in try Data.fetchAll(db, sql: "SELECT id FROM entry WHERE bodyType = ? AND readable = 0", arguments: [Int(BodyType.sealed)]) {
                lines.append(StateDigest.unreadableLine(try EntryID(bytes: id)))
            }
            return StateDigest.digest(lines)
        }
    }
}

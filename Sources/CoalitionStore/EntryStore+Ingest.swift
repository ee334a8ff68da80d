import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB
import Logging
import Synchronization

// Verifying and storing received entries: batches, prepared batches and the bulk load.
extension EntryStore {
    /// Verifies a batch (signatures and bodies, on all cores) and stores it in one transaction.
    ///
    /// The write is atomic: either every accepted entry of the batch is stored with its effects,
    /// or (on an error, or for an atomic policy with an invalid entry) none is. Entries whose
    /// predecessor is missing are kept as pending and applied once it arrives.
    public func ingest(_ entries: [Entry], policy: IngestPolicy = .acceptAll, now: Int64 = .nowMillis) throws -> IngestReport {
        try write(prepare(entries).items, policy: policy, now: now, bulk: nil)
    }

    /// Decodes raw entry bytes and ingests them; undecodable items are rejected by index.
    public func ingest(encoded: [[UInt8]], policy: IngestPolicy = .acceptAll, now: Int64 = .nowMillis) throws -> IngestReport {
        try write(prepare(encoded: encoded).items, policy: policy, now: now, bulk: nil)
    }

    /// A batch whose intrinsic checks (signature, body, decryption) are done: the CPU-heavy half
    /// of ingest. Preparing the next batch while the previous one commits keeps every core busy.
    public struct PreparedBatch: Sendable {
        fileprivate let items: [Result<VerifiedEntry, CoalitionError>]
        /// Entries in the batch.
        public var count: Int { items.count }

        /// One batch of the entries of `batches`, in order.
        public init(joining batches: [PreparedBatch]) {
            items = batches.flatMap(\.items)
        }

        fileprivate init(items: [Result<VerifiedEntry, CoalitionError>]) {
            self.items = items
        }
    }

    /// The batch size from which ``prepare(_:decode:)`` verifies at low priority.
    public static let backgroundBatch = 1_000

    /// Verifies entries on all cores without touching the database.
    public func prepare(_ entries: [Entry]) -> PreparedBatch {
        prepare(entries) { $0 }
    }

    /// Decodes and verifies raw entries on all cores without touching the database.
    public func prepare(encoded: [[UInt8]]) -> PreparedBatch {
        prepare(encoded) { bytes throws(CoalitionError) in try Entry(decoding: bytes) }
    }

    /// Decodes items of any form into entries and verifies them, all on all cores, without
    /// touching the database. An item `decode` refuses is rejected with its error. Large batches
    /// (``backgroundBatch`` items or more: a bootstrap, an import) are verified on
    /// ``BackgroundWorkers/shared``, below the priority of the threads serving requests; small
    /// ones (live gossip) at normal priority, so that they are not delayed on a busy machine.
    public func prepare<Item: Sendable>(_ items: [Item], decode: @Sendable (Item) throws(CoalitionError) -> Entry) -> PreparedBatch {
        let reader = self.readers
        return PreparedBatch(items: items.parallelMap(on: items.count >= Self.backgroundBatch ? .shared : nil) { item in
            do throws(CoalitionError) {
                let e = try decode(item)
                return .success(VerifiedEntry(entry: e, body: try e.validateIntrinsic(), reader: reader))
            } catch { return .failure(error) }
        })
    }

    /// Stores a prepared batch in one transaction (see ``ingest(_:policy:now:)``).
    public func commit(_ batch: PreparedBatch, policy: IngestPolicy = .acceptAll, now: Int64 = .nowMillis) throws -> IngestReport {
        try write(batch.items, policy: policy, now: now, bulk: nil)
    }

    /// Starts a bulk load: the fast path for filling an empty store (a new node bootstrapping
    /// from a peer, or a restore). The randomly keyed secondary indexes of `entry` and `opinion`
    /// are dropped and rebuilt once by ``BulkLoad/finish()``; meanwhile lookups use in-memory
    /// maps. Validity, merge rules and atomicity per batch are exactly those of
    /// ``commit(_:policy:now:)``.
    /// - Parameter expectedEntries: how many entries the load will probably store; its maps are
    ///   sized for them at once instead of being rehashed as they grow.
    /// - Throws: `CoalitionError(.forbidden)` when the store already holds entries.
    public func beginBulkLoad(expectedEntries: Int = 0) throws -> BulkLoad {
        try database.writer.write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry") == 0 else {
                throw CoalitionError(.forbidden, "a bulk load needs an empty store")
            }
            try db.execute(sql: AppDatabase.dropBulkLoadIndexesSQL)
        }
        let load = BulkLoad(store: self)
        load.state.reserve(additional: expectedEntries)
        return load
    }

    /// A bulk load in progress; see ``EntryStore/beginBulkLoad()``. Use it from one task at a time.
    ///
    /// The load ends itself, rebuilding the indexes, when another writer (the CLI, an API
    /// publish) adds entries meanwhile, or when a batch fails with a database error: its maps
    /// would no longer match the table. That batch and all later ones then take the normal path.
    public final class BulkLoad: Sendable {
        let store: EntryStore
        let state = BulkLoadState()

        init(store: EntryStore) { self.store = store }

        /// Whether batches still take the bulk path (not finished, not ended by another writer or an error).
        public var isActive: Bool { !state.finished && !state.failed }

        /// Stores a prepared batch in one transaction, on the bulk path while the load is active.
        public func commit(_ batch: PreparedBatch, policy: IngestPolicy = .acceptAll, now: Int64 = .nowMillis) throws -> IngestReport {
            guard isActive else {
                try finish()
                return try store.commit(batch, policy: policy, now: now)
            }
            state.reserve(additional: batch.count)
            do {
                return try store.write(batch.items, policy: policy, now: now, bulk: state)
            } catch is ConcurrentWrite {
                store.logger.notice("another writer changed the store during a bulk load; rebuilding the indexes and continuing on the normal path")
                try finish()
                return try store.commit(batch, policy: policy, now: now)
            } catch {
                // The database may have failed after the maps were updated; stop trusting them.
                state.failed = true
                throw error
            }
        }

        /// Builds the dropped indexes now, but keeps the load's maps: later batches are written
        /// with the indexes (as on the normal path) while their lookups still go to the maps,
        /// which cost less than the index probes. For a caller that knows more entries follow at
        /// once, such as ``IngestPipeline``, which verifies them meanwhile; call ``finish()`` after them.
        public func buildIndexes() throws {
            guard isActive, !state.indexed else { return }
            try store.database.writer.write { db in try db.execute(sql: AppDatabase.bulkLoadIndexesSQL) }
            state.indexed = true
        }

        /// Rebuilds the indexes (unless ``buildIndexes()`` did) and drops the maps; later batches
        /// take the normal path.
        public func finish() throws {
            guard !state.finished else { return }
            if !state.indexed {
                try store.database.writer.write { db in try db.execute(sql: AppDatabase.bulkLoadIndexesSQL) }
            }
            state.finished = true
            state.release()
        }
    }

    /// Thrown inside a bulk-load transaction that finds rows the load did not write.
    struct ConcurrentWrite: Error {}

    func write(_ checked: [Result<VerifiedEntry, CoalitionError>], policy: IngestPolicy, now: Int64,
                       bulk: BulkLoadState?) throws -> IngestReport {
        var early: [IngestReport.Rejection] = []
        // A rotation by an accepted author makes its successor accepted for what follows it.
        var accepted = policy.acceptedAuthors
        for (i, r) in checked.enumerated() {
            switch r {
            case .failure(let error):
                early.append(.init(index: i, code: error.code, message: error.description))
            case .success(let v):
                if let set = accepted, !set.contains(v.entry.author) {
                    early.append(.init(index: i, code: .forbidden, message: "author \(MemberID(publicKey: v.entry.author).short) is not an accepted member"))
                } else if case .keyRotation(let rotation) = v.body {
                    accepted?.insert(rotation.successor)
                }
            }
        }
        if policy.atomic && !early.isEmpty {
            var report = IngestReport()
            report.rejected = early
            report.rolledBack = true
            logRejections(report)
            return report
        }
        let refused = Set(early.map(\.index))
        let reader = self.readers
        var report: IngestReport
        do {
            report = try database.writer.write { db in
                func run() throws -> IngestReport {
                    if let bulk, (try Int64.fetchOne(db, sql: "SELECT max(localSeq) FROM entry") ?? 0) != bulk.lastRow {
                        throw ConcurrentWrite()
                    }
                    let writer = try IngestWriter(db: db, reader: reader, now: now, bulk: bulk)
                    for (i, r) in checked.enumerated() where !refused.contains(i) {
                        guard case .success(let v) = r else { continue }
                        if try !writer.write(v, index: i), policy.atomic { throw AtomicBatchRejected(report: writer.report) }
                    }
                    try writer.finish()
                    return writer.report
                }
                return try bulk.map { try $0.transaction(run) } ?? run()
            }
        } catch let rollback as AtomicBatchRejected {
            report = IngestReport()
            report.rejected = rollback.report.rejected
            report.rolledBack = true
        }
        commits.add(1, ordering: .releasing)
        if let rows = report.rows { feed.publish(after: rows.lowerBound - 1, through: rows.upperBound, changes: report.changes) }
        report.rejected = (early + report.rejected).sorted { $0.index < $1.index }
        logRejections(report)
        if report.applied > 0 {
            logger.debug("ingested entries", metadata: ["entries.applied": "\(report.applied)", "entries.pending": "\(report.pending)"])
        }
        return report
    }

    func logRejections(_ report: IngestReport) {
        for r in report.rejected.prefix(20) {
            logger.info("entry rejected", metadata: ["batch.index": "\(r.index)", "reason.code": "\(r.code)", "reason": "\(r.message)"])
        }
    }
}

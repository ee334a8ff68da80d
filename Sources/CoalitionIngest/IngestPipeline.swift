import CoalitionCore
import CoalitionStore
import Dispatch
import Foundation

/// Verifies and stores a large set of entries (a restore from `coalition export`, a benchmark)
/// while keeping every core busy:
///
/// - batches are verified on all cores while earlier ones commit, up to ``lookahead`` batches
///   ahead (``BatchProducer``), so that a long commit does not leave the verifying cores idle;
/// - into an empty store, a run of at least ``bulkThreshold`` entries takes the bulk-load path
///   (``EntryStore/beginBulkLoad(expectedEntries:)``); the entries after the bulk batches are
///   verified while the indexes are built, then written with the indexes, their lookups still
///   answered by the load's in-memory maps;
/// - batches shrink towards the end, so that the last commit, which nothing can overlap, is short.
///
/// Every batch is one transaction, atomic as ``IngestPolicy/atomic`` says; the run as a whole is
/// not. With an atomic policy the run stops at the first batch that was refused.
public struct IngestPipeline: Sendable {
    /// The store written to.
    public let store: EntryStore
    /// The policy every batch is committed with.
    public var policy: IngestPolicy
    /// The most entries one transaction holds.
    public var largestBatch: Int
    /// Cores verifying; one of them also commits.
    public var cores: Int

    /// How many batches may be verified ahead of the commits. With one, the cores waited for the
    /// commit that builds a bulk load's indexes (0.3 s of a 9 s ingest of 200,000 entries on two
    /// cores, which takes longer than verifying the batch after it); with two they go on verifying.
    static let lookahead = 2

    /// The fewest entries for which an empty store is filled through a bulk load.
    public static let bulkThreshold = 10_000

    public init(store: EntryStore, policy: IngestPolicy = .acceptAll, largestBatch: Int = 25_000,
                cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.store = store
        self.policy = policy
        self.largestBatch = max(1, largestBatch)
        self.cores = max(1, cores)
    }

    /// What a run did.
    public struct Outcome: Sendable {
        /// All batches' reports together; a rejection's `index` is its position in the input.
        public var report = IngestReport()
        /// Transactions committed.
        public var batches = 0
        /// Entries committed on the bulk-load path (0 when the store was not empty or the run small).
        public var bulkEntries = 0
        /// Wall-clock seconds spent building the indexes at the end of the bulk load.
        public var indexBuildSeconds = 0.0
    }

    /// Verifies and stores `entries` in order.
    /// - Throws: a database error; the batches before it stay stored.
    public func run(_ entries: [Entry]) throws -> Outcome {
        try run(entries) { $0 }
    }

    /// Decodes, verifies and stores raw entries in order; undecodable ones are rejected by index.
    /// - Throws: a database error; the batches before it stay stored.
    public func run(encoded: [[UInt8]]) throws -> Outcome {
        try run(encoded) { bytes throws(CoalitionError) in try Entry(decoding: bytes) }
    }

    /// Decodes items of any form (lines of an export, say) into entries, verifies and stores
    /// them in order. Decoding runs on all cores with the verification of each batch; an item
    /// `decode` refuses is rejected by index, with its error.
    /// - Throws: a database error; the batches before it stay stored.
    public func run<Item: Sendable>(_ items: [Item], decode: @escaping @Sendable (Item) throws(CoalitionError) -> Entry) throws -> Outcome {
        try run(items, prepare: { [store] in store.prepare(Array($0), decode: decode) })
    }

    private func run<Item: Sendable>(_ items: [Item], prepare: @escaping @Sendable (ArraySlice<Item>) -> EntryStore.PreparedBatch) throws -> Outcome {
        var outcome = Outcome()
        guard !items.isEmpty else { return outcome }
        var load: EntryStore.BulkLoad?
        if items.count >= Self.bulkThreshold {
            do { load = try store.beginBulkLoad(expectedEntries: items.count) } catch let e as CoalitionError where e.code == .forbidden {
                load = nil  // the store holds entries: the normal path
            }
        }
        let plan = Plan(count: items.count, bulk: load != nil, largestBatch: largestBatch, cores: cores)
        // If anything below throws, the indexes must not stay dropped.
        defer { if let load, load.isActive { try? load.finish() } }

        /// Commits batch `k`. The batch is freed when this returns, while the next one is still
        /// being verified: freeing tens of thousands of entries takes milliseconds of one core.
        func commit(_ batch: EntryStore.PreparedBatch, _ k: Int) throws -> IngestReport {
            // Key rotations stored by earlier batches admit their successors.
            var policy = self.policy
            if let accepted = policy.acceptedAuthors, k > 0 {
                policy.acceptedAuthors = KeySuccession(try store.keyRotations()).lineage(of: accepted)
            }
            guard let load, load.isActive else { return try store.commit(batch, policy: policy) }
            let report = try load.commit(batch, policy: policy)
            // (A load that another writer ended took this batch on the normal path.)
            if k < plan.bulkBatches && load.isActive { outcome.bulkEntries += batch.count }
            if k + 1 == plan.bulkBatches {
                // The batches after this one are written with the indexes, but their lookups
                // still go to the load's maps.
                let start = DispatchTime.now().uptimeNanoseconds
                try load.buildIndexes()
                outcome.indexBuildSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            return report
        }

        let producer = BatchProducer(count: plan.batches.count, lookahead: Self.lookahead) { [batches = plan.batches] k in
            prepare(items[batches[k]])
        }
        // Stop verifying when a commit throws or an atomic batch ends the run.
        defer { producer.stop() }
        for (k, range) in plan.batches.enumerated() {
            let report = try commit(producer.take(k), k)
            outcome.batches += 1
            outcome.report.absorb(report, offset: range.lowerBound)
            if report.rolledBack && policy.atomic { break }
        }
        try load?.finish()
        return outcome
    }

    /// How a run is cut into batches: pure arithmetic, so that it can be tested on its own.
    struct Plan {
        /// Consecutive ranges of the input, covering it.
        var batches: [Range<Int>] = []
        /// The first this many batches take the bulk path; the indexes are built after the last of them.
        var bulkBatches = 0

        /// Per-entry costs on one core relative to verifying the entry, from `coalition-bench
        /// ingest` on a 2-core machine (80 µs per verification): a bulk-path commit about 12 µs,
        /// the index build at the end of a bulk load about 3 µs per entry loaded, a commit with
        /// the indexes just after it 30–40 µs (random inserts into the fresh indexes). A wrong
        /// estimate only leaves a core idle a little longer at the end.
        static let bulkCommitCost = 0.15
        static let indexBuildCost = 0.04
        static let indexedCommitCost = 0.4
        /// Batches never shrink below this: each transaction has a fixed cost.
        static let smallestBatch = 250

        init(count: Int, bulk: Bool, largestBatch: Int, cores: Int) {
            guard count > 0 else { return }
            // While one core commits a batch, the others verify the next one. Sizing each batch
            // so that its verification takes as long as the previous commit leaves no core idle.
            let spare = Double(cores - 1)
            var tail: [Int] = []
            if spare > 0 {
                var size: Double
                if bulk {
                    // The first batch after the bulk ones is verified while the last bulk batch
                    // commits and every index is built.
                    size = spare * (Self.indexBuildCost * Double(count) + Self.bulkCommitCost * Double(min(largestBatch, count)))
                } else {
                    size = spare * Self.indexedCommitCost * Double(largestBatch)
                }
                size = min(size, Double(largestBatch))
                // With many cores, verification outruns commits; batches still halve at least,
                // so that the last commit stays short.
                let shrink = min(0.5, spare * Self.indexedCommitCost)
                while Int(size) >= Self.smallestBatch {
                    tail.append(Int(size))
                    size *= shrink
                }
            }
            // Whatever the tail leaves goes in batches of at most `largestBatch`, the same size
            // each. A bulk load keeps at least one batch before its index build.
            while tail.reduce(0, +) > count || (bulk && tail.reduce(0, +) == count) { tail.removeFirst() }
            let head = count - tail.reduce(0, +)
            let n = (head + largestBatch - 1) / largestBatch
            let sizes = (0..<n).map { head / n + ($0 < head % n ? 1 : 0) }
            bulkBatches = bulk ? n : 0
            var start = 0
            for size in sizes + tail {
                batches.append(start..<start + size)
                start += size
            }
        }
    }
}

extension IngestReport {
    /// Adds the report of a later batch that started at position `offset` of the whole input.
    mutating func absorb(_ later: IngestReport, offset: Int) {
        var shifted = later
        shifted.rejected = later.rejected.map { Rejection(index: $0.index + offset, code: $0.code, message: $0.message) }
        shifted.duplicateIndexes = later.duplicateIndexes.map { $0 + offset }
        shifted.pendingIndexes = later.pendingIndexes.map { $0 + offset }
        absorb(shifted)
    }
}

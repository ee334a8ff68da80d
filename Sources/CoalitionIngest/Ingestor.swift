import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import CoalitionSync
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix

/// Where received entries go: local policy (accepted members, per-author quota, pending cap),
/// then verification on all cores and one atomic commit per batch. Shared by every session; the
/// blocking store work runs on a thread pool, never on an event loop. The gossip layer sees it
/// only as an ``EntryIngest``.
public final class Ingestor: EntryIngest, Sendable {
    /// Local policy and limits.
    public struct Policy: Sendable {
        /// The accepted authors now (nil: every author), asked per batch so a reload applies at once.
        public var acceptedAuthors: @Sendable () -> Set<PublicKey>?
        public var quotaPerMinute: Int
        public var quotaBurst: Int
        /// Pending entries kept per author; older ones are dropped beyond it.
        public var pendingPerAuthor: Int

        public init(acceptedAuthors: @escaping @Sendable () -> Set<PublicKey>?, quotaPerMinute: Int = 60_000, quotaBurst: Int = 2_000_000,
                    pendingPerAuthor: Int = 10_000) {
            self.acceptedAuthors = acceptedAuthors
            self.quotaPerMinute = quotaPerMinute
            self.quotaBurst = quotaBurst
            self.pendingPerAuthor = pendingPerAuthor
        }
    }

    let store: EntryStore
    let acceptedAuthors: @Sendable () -> Set<PublicKey>?
    /// Where live traffic (small batches) is prepared and committed, at normal priority.
    let pool: NIOThreadPool
    /// Where large batches (a bootstrap, a peer catching up) are, at lower priority.
    let backgroundPool: NIOThreadPool
    let logger: Logger
    private let quota: NIOLockedValueBox<IngestQuota>
    private let pendingCap: Int
    /// The bootstrap in progress, if any. Its lock is held for every commit, so that batches
    /// of all sessions reach the bulk load (or the normal path) one at a time.
    private let bootstrap = NIOLockedValueBox<Bootstrap?>(nil)

    /// An empty store being filled from a peer that is far ahead, through the store's bulk-load
    /// path: the entry indexes are built once at the end instead of row by row, which is several
    /// times cheaper per entry.
    private struct Bootstrap: Sendable {
        let load: EntryStore.BulkLoad
        /// The session that started it.
        let owner: UInt64
        /// Entries the peer was ahead by; the load ends once this many arrived.
        let expected: UInt64
        var received: UInt64 = 0
        let started = Date()
        var lastProgress = Date()
    }

    /// How far ahead of an empty store a peer must be for the session to bootstrap in bulk.
    static let bootstrapThreshold: UInt64 = 10_000
    /// A bootstrap that receives nothing for this long ends (its indexes are built), so that a
    /// stalled peer never leaves the store without them.
    static let bootstrapIdleLimit: TimeInterval = 5

    /// Batches of at least this many entries are background work: they are prepared and stored
    /// on `backgroundPool` and verified on ``BackgroundWorkers``, below the threads that serve
    /// lookups. Smaller ones (a signal just published somewhere) go at normal priority, so that
    /// they cross the federation in milliseconds even on a busy machine.
    public static let backgroundBatch = EntryStore.backgroundBatch

    /// - Parameters:
    ///   - pool: for small batches and the bootstrap's bookkeeping.
    ///   - backgroundPool: for large batches (``backgroundBatch``).
    public init(store: EntryStore, policy: Policy, pool: NIOThreadPool = .singleton, backgroundPool: NIOThreadPool = .ingest,
                logger: Logger = Logger(label: "coalition.ingest")) {
        self.backgroundPool = backgroundPool
        self.store = store
        self.acceptedAuthors = policy.acceptedAuthors
        self.pool = pool
        self.logger = logger
        self.quota = NIOLockedValueBox(IngestQuota(entriesPerMinute: policy.quotaPerMinute, burst: policy.quotaBurst))
        self.pendingCap = policy.pendingPerAuthor
    }

    /// A batch that passed local policy and verification, ready to commit.
    struct Prepared: Sendable {
        var outcome = IngestOutcome()
        var batch: EntryStore.PreparedBatch?
        var entries: [Entry] = []

        init(outcome: IngestOutcome = IngestOutcome(), batch: EntryStore.PreparedBatch? = nil, entries: [Entry] = []) {
            self.outcome = outcome
            self.batch = batch
            self.entries = entries
        }

        init(_ frame: PreparedFrame) {
            self = (frame.payload as? Prepared) ?? Prepared(outcome: frame.outcome)
            outcome = frame.outcome
        }

        var frame: PreparedFrame { PreparedFrame(outcome: outcome, payload: self) }
    }

    /// Decodes, filters and stores a batch from `peer`.
    public func ingest(_ encoded: [[UInt8]], from peer: PublicKey) async throws -> IngestOutcome {
        try await commit([prepare(encoded, from: peer)])
    }

    public func prepare(_ encoded: [[UInt8]], from peer: PublicKey) async throws -> PreparedFrame {
        try await prepareBatch(encoded, from: peer).frame
    }

    public func commit(_ frames: [PreparedFrame]) async throws -> IngestOutcome {
        try await commit(frames.map(Prepared.init))
    }

    /// The CPU-heavy half: decoding, local policy, and verification on all cores. Sessions
    /// prepare the next batch while the previous one commits. All of it runs on the pool, never
    /// on the session's event loop: decoding 25,000 entries alone takes tens of milliseconds,
    /// which every other connection of that loop would wait for.
    func prepareBatch(_ encoded: [[UInt8]], from peer: PublicKey) async throws -> Prepared {
        try await pool(for: encoded.count).runIfActive { [self] in preparedNow(encoded) }
    }

    /// Each entry is decoded once, here; the membership policy is applied once, here.
    private func preparedNow(_ encoded: [[UInt8]]) -> Prepared {
        var prepared = Prepared()
        var entries: [Entry] = []
        entries.reserveCapacity(encoded.count)
        for (i, bytes) in encoded.enumerated() {
            do { entries.append(try Entry(decoding: bytes)) } catch {
                prepared.outcome.violation = WireError(.invalidEntry, "entry \(i + 1) of the batch: \(error.message)", underlying: error)
                return prepared
            }
        }
        // Local policy first: it is cheaper than verification, and refused entries are neither
        // stored nor relayed.
        if var accepted = acceptedAuthors() {
            // A member's rotation makes its successor a member for the rest of the batch, whose
            // first entries often travel with it. A forged rotation fails verification, which
            // refuses the whole batch.
            for e in entries where e.bodyType == BodyType.keyRotation && accepted.contains(e.author) {
                if case .keyRotation(let rotation)? = try? e.decodeBody() { accepted.insert(rotation.successor) }
            }
            let before = entries.count
            entries.removeAll { !accepted.contains($0.author) }
            prepared.outcome.notAMember = before - entries.count
        }
        entries = admitQuota(entries, outcome: &prepared.outcome)
        guard !entries.isEmpty else { return prepared }
        prepared.entries = entries
        prepared.batch = store.prepare(entries)
        return prepared
    }

    /// Stores several prepared frames of one peer in one transaction: per transaction, SQLite
    /// rewrites every index page and WAL frame the transaction touched, so a few large commits
    /// cost less than many small ones. If the merged batch is refused (one frame holds an invalid
    /// entry), the frames are committed one by one, so that the frames before the bad one are
    /// stored exactly as if each had been committed alone.
    func commit(_ list: [Prepared]) async throws -> IngestOutcome {
        guard list.count > 1 else {
            guard let only = list.first else { return IngestOutcome() }
            return try await commit(only)
        }
        var merged = Prepared()
        for p in list {
            merged.outcome.absorb(p.outcome)
            merged.entries += p.entries
        }
        let batches = list.compactMap(\.batch)
        merged.batch = batches.isEmpty ? nil : EntryStore.PreparedBatch(joining: batches)
        let outcome = try await commit(merged)
        guard outcome.violation != nil else { return outcome }
        var total = IngestOutcome()
        for p in list {
            let one = try await commit(p)
            total.absorb(one)
            if one.violation != nil { break }
        }
        return total
    }

    /// The storing half: one atomic transaction; any invalid entry refuses the whole batch.
    func commit(_ prepared: Prepared) async throws -> IngestOutcome {
        var outcome = prepared.outcome
        guard outcome.violation == nil, let batch = prepared.batch else { return outcome }
        let received = UInt64(prepared.entries.count + outcome.notAMember + outcome.deferred)
        let report = try await pool(for: prepared.entries.count).runIfActive { [self] in try write(batch, received: received) }
        outcome.applied += report.applied
        outcome.duplicates += report.duplicates
        outcome.newEquivocations += report.newEquivocations.map { ($0.author, $0.seq) }
        if let first = report.rejected.first {
            let e = prepared.entries[first.index]
            outcome.violation = WireError(.invalidEntry, "entry \(e.id.hex.prefix(16))… (author \(MemberID(publicKey: e.author).short), seq \(e.seq)): \(first.code): \(first.message)")
            return outcome
        }
        if !report.pendingEntries.isEmpty {
            try await handlePending(report.pendingEntries, outcome: &outcome)
        }
        return outcome
    }

    /// Commits on the bulk path while a bootstrap runs, otherwise normally; ends the bootstrap
    /// once the entries it expected have arrived.
    private func write(_ batch: EntryStore.PreparedBatch, received: UInt64) throws -> IngestReport {
        try bootstrap.withLockedValue { current in
            guard var b = current else { return try store.commit(batch, policy: IngestPolicy(atomic: true)) }
            let report: IngestReport
            do {
                report = try b.load.commit(batch, policy: IngestPolicy(atomic: true))
            } catch {
                try? finish(&current, why: "a database error")
                throw error
            }
            b.received += received
            b.lastProgress = Date()
            current = b
            if !b.load.isActive {
                try finish(&current, why: "another writer changed the store")
            } else if b.received >= b.expected {
                try finish(&current, why: "caught up")
            }
            return report
        }
    }

    /// Starts a bulk bootstrap for the session `owner`, whose peer is `expecting` entries ahead,
    /// if the store is empty, the peer is far enough ahead and no bootstrap runs yet.
    public func beginBootstrap(owner: UInt64, expecting: UInt64) async {
        guard expecting >= Self.bootstrapThreshold else { return }
        _ = try? await pool.runIfActive { [self] in
            bootstrap.withLockedValue { current in
                guard current == nil else { return }
                do {
                    // Sized for what the peer announced, up to 1M entries (a peer's claim costs at
                    // most ~60 MB until the load ends).
                    let load = try store.beginBulkLoad(expectedEntries: Int(min(expecting, 1_000_000)))
                    current = Bootstrap(load: load, owner: owner, expected: expecting)
                    logger.info("bootstrapping an empty store in bulk", metadata: ["entries.expected": "\(expecting)"])
                } catch {
                    logger.debug("no bulk bootstrap: \(error)")
                }
            }
        }
    }

    /// Ends the bootstrap of session `owner` (which ended), or any bootstrap idle for longer
    /// than ``bootstrapIdleLimit`` when `owner` is nil.
    public func endBootstrap(owner: UInt64?) async {
        @Sendable func isDue(_ b: Bootstrap?) -> Bool {
            guard let b else { return false }
            return owner.map { $0 == b.owner } ?? (Date().timeIntervalSince(b.lastProgress) > Self.bootstrapIdleLimit)
        }
        // Checked once without leaving the caller's thread (the service asks every second), and
        // again under the lock on the pool, where a commit may have made progress meanwhile.
        guard bootstrap.withLockedValue({ isDue($0) }) else { return }
        _ = try? await pool.runIfActive { [self] in
            try bootstrap.withLockedValue { current in
                guard isDue(current) else { return }
                try finish(&current, why: owner == nil ? "idle" : "its session ended")
            }
        }
    }

    /// Whether a bulk bootstrap is in progress.
    public var isBootstrapping: Bool { bootstrap.withLockedValue { $0 != nil } }

    private func finish(_ current: inout Bootstrap?, why: String) throws {
        guard let b = current else { return }
        current = nil
        let t = Date()
        try b.load.finish()
        logger.info("bulk bootstrap ended; indexes built", metadata: [
            "reason": "\(why)", "entries.received": "\(b.received)",
            "duration.s": "\(String(format: "%.1f", Date().timeIntervalSince(b.started)))",
            "indexes.s": "\(String(format: "%.1f", Date().timeIntervalSince(t)))",
        ])
    }

    private func admitQuota(_ entries: [Entry], outcome: inout IngestOutcome) -> [Entry] {
        var perAuthor: [PublicKey: Int] = [:]
        for e in entries { perAuthor[e.author, default: 0] += 1 }
        // Monotonic: a wall clock set back would pause the refill, one set forward would grant a burst.
        let now = ProcessInfo.processInfo.systemUptime
        var allowance: [PublicKey: Int] = [:]
        quota.withLockedValue { q in
            for (author, n) in perAuthor { allowance[author] = q.admit(n, author: author, now: now) }
        }
        var kept: [Entry] = []
        kept.reserveCapacity(entries.count)
        for e in entries {
            if allowance[e.author, default: 0] > 0 {
                allowance[e.author]! -= 1
                kept.append(e)
            } else {
                outcome.deferred += 1
            }
        }
        return kept
    }

    private func handlePending(_ refs: [IngestReport.PendingRef], outcome: inout IngestOutcome) async throws {
        var waiting: [PublicKey: UInt64] = [:]
        for r in refs { waiting[r.author] = max(waiting[r.author] ?? 0, r.seq) }
        let cap = pendingCap
        let authors = waiting
        let heads = try await pool.runIfActive { [store] () -> [PublicKey: UInt64] in
            var out: [PublicKey: UInt64] = [:]
            for h in try store.heads() where authors[h.author] != nil { out[h.author] = h.seq }
            for author in authors.keys where try store.pendingCount(of: author) > cap {
                try store.trimPending(of: author, keep: cap)
            }
            return out
        }
        for (author, seq) in waiting { outcome.gaps[author] = (heads[author] ?? 0, seq) }
    }

    private func pool(for entries: Int) -> NIOThreadPool {
        entries >= Self.backgroundBatch ? backgroundPool : pool
    }

    // MARK: local sources

    /// Verifies and stores entries read locally (an export being imported or restored), in
    /// order, through ``IngestPipeline``: decoding and verification on all cores while the
    /// previous batch commits, and the bulk path into an empty store. Authors outside the
    /// accepted set are refused entry by entry (`forbidden`), so that a report can name each line.
    /// Blocking: call it off the event loops.
    /// - Throws: a database error; the batches before it stay stored.
    public func run<Item: Sendable>(local items: [Item], decode: @escaping @Sendable (Item) throws(CoalitionError) -> Entry) throws -> IngestPipeline.Outcome {
        let policy = acceptedAuthors().map { IngestPolicy(acceptedAuthors: $0) } ?? .acceptAll
        return try IngestPipeline(store: store, policy: policy).run(items, decode: decode)
    }

    /// Signs and stores this node's own entries (publishing, retracting, opining): they need no
    /// verification or membership check, and take the store's single writer like every commit.
    /// Blocking: call it off the event loops.
    /// - Throws: `CoalitionError` naming the offending field, or a database error.
    public func append(_ drafts: [EntryStore.Draft], by signer: Signer, now: Int64 = .nowMillis) throws -> [Entry] {
        try store.append(drafts, by: signer, now: now)
    }

    /// Entries deferred by the quota so far.
    public var deferredTotal: Int { quota.withLockedValue { $0.totalDeferred } }
}

/// The store as the gossip layer reads it.
extension EntryStore: EntrySource {
    public func waitForEntries(after localSeq: Int64, timeout: Duration) async -> Int64 {
        await feed.wait(after: localSeq, timeout: timeout)
        return max(feed.through, localSeq)
    }

    public func localHeads() throws -> [LocalHead] {
        try heads().map { LocalHead(author: $0.author, seq: $0.seq, head: $0.id, entryCount: $0.entryCount, equivocating: $0.equivocating) }
    }
}

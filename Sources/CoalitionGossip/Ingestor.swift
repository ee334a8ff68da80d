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
/// blocking store work runs on a thread pool, never on an event loop.
final class Ingestor: Sendable {
    /// What happened to one received batch.
    struct Outcome: Sendable {
        var report = IngestReport()
        /// The first invalid entry, if any: the batch was refused whole and the peer must go.
        var violation: WireError?
        var notAMember = 0
        var deferred = 0
        /// Pending entries of this batch, by author: the highest seq waiting, and the head now held.
        var gaps: [PublicKey: (head: UInt64, waiting: UInt64)] = [:]
    }

    let store: EntryStore
    let members: MemberRegistry
    let pool: NIOThreadPool
    let logger: Logger
    private let quota: NIOLockedValueBox<IngestQuota>
    private let pendingCap: Int

    init(store: EntryStore, members: MemberRegistry, pool: NIOThreadPool, configuration: GossipConfiguration, logger: Logger) {
        self.store = store
        self.members = members
        self.pool = pool
        self.logger = logger
        self.quota = NIOLockedValueBox(IngestQuota(entriesPerMinute: configuration.quotaPerMinute, burst: configuration.quotaBurst))
        self.pendingCap = configuration.pendingPerAuthor
    }

    /// A batch that passed local policy and verification, ready to commit.
    struct Prepared: Sendable {
        var outcome = Outcome()
        var batch: EntryStore.PreparedBatch?
        var entries: [Entry] = []
    }

    /// Decodes, filters and stores a batch from `peer`.
    func ingest(_ encoded: [[UInt8]], from peer: PublicKey) async throws -> Outcome {
        try await commit(prepare(encoded, from: peer))
    }

    /// The CPU-heavy half: decoding, local policy, and verification on all cores. Sessions
    /// prepare the next batch while the previous one commits.
    func prepare(_ encoded: [[UInt8]], from peer: PublicKey) async throws -> Prepared {
        var prepared = Prepared()
        var entries: [Entry] = []
        entries.reserveCapacity(encoded.count)
        for (i, bytes) in encoded.enumerated() {
            do { entries.append(try Entry(decoding: bytes)) } catch {
                prepared.outcome.violation = WireError(.invalidEntry, "entry \(i + 1) of the batch: \(error.message)")
                return prepared
            }
        }
        // Local policy first: it is cheaper than verification, and refused entries are neither
        // stored nor relayed.
        if let accepted = members.acceptedAuthors {
            let before = entries.count
            entries.removeAll { !accepted.contains($0.author) }
            prepared.outcome.notAMember = before - entries.count
        }
        entries = admitQuota(entries, outcome: &prepared.outcome)
        guard !entries.isEmpty else { return prepared }
        let batch = entries
        prepared.entries = entries
        prepared.batch = try await pool.runIfActive { [store] in store.prepare(batch) }
        return prepared
    }

    /// The storing half: one atomic transaction; any invalid entry refuses the whole batch.
    func commit(_ prepared: Prepared) async throws -> Outcome {
        var outcome = prepared.outcome
        guard outcome.violation == nil, let batch = prepared.batch else { return outcome }
        let report = try await pool.runIfActive { [store] in
            try store.commit(batch, policy: IngestPolicy(atomic: true))
        }
        outcome.report = report
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

    private func admitQuota(_ entries: [Entry], outcome: inout Outcome) -> [Entry] {
        var perAuthor: [PublicKey: Int] = [:]
        for e in entries { perAuthor[e.author, default: 0] += 1 }
        let now = Date().timeIntervalSince1970
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

    private func handlePending(_ refs: [IngestReport.PendingRef], outcome: inout Outcome) async throws {
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

    /// Entries deferred by the quota so far.
    var deferredTotal: Int { quota.withLockedValue { $0.totalDeferred } }
}

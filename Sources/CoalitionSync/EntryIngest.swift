import CoalitionCore
import CoalitionCrypto

/// What happened to batches received from one peer.
public struct IngestOutcome: Sendable {
    /// Entries stored and applied (pending ones they released included).
    public var applied = 0
    /// Entries already stored or pending.
    public var duplicates = 0
    /// The first invalid entry, if any: the batch was refused whole and the peer must go.
    public var violation: WireError?
    /// Entries refused because their author is not an accepted member.
    public var notAMember = 0
    /// Entries deferred by the per-author quota.
    public var deferred = 0
    /// Pending entries, by author: the highest seq waiting, and the head now held.
    public var gaps: [PublicKey: (head: UInt64, waiting: UInt64)] = [:]
    /// Authors these batches revealed as equivocators, with the seq of the fork.
    public var newEquivocations: [(author: PublicKey, seq: UInt64)] = []

    public init() {}

    /// Adds the outcome of a later commit.
    public mutating func absorb(_ later: IngestOutcome) {
        applied += later.applied
        duplicates += later.duplicates
        violation = violation ?? later.violation
        notAMember += later.notAMember
        deferred += later.deferred
        gaps.merge(later.gaps) { _, newer in newer }
        newEquivocations += later.newEquivocations
    }
}

/// A received frame after decoding, local policy and verification, ready to commit.
public struct PreparedFrame: Sendable {
    /// What preparing found: a violation, refused or deferred entries.
    public var outcome: IngestOutcome
    /// The verified entries in the ingest implementation's own form; nil when nothing is left
    /// to store.
    public var payload: (any Sendable)?

    public init(outcome: IngestOutcome = IngestOutcome(), payload: (any Sendable)? = nil) {
        self.outcome = outcome
        self.payload = payload
    }
}

/// Where the gossip layer hands received entries: local policy, verification on all cores and
/// atomic commits, off the event loops. The node supplies it; the transport never sees the store.
public protocol EntryIngest: Sendable {
    /// The CPU-heavy half: decoding, local policy and verification. Sessions prepare the next
    /// frame while the previous one commits.
    func prepare(_ encoded: [[UInt8]], from peer: PublicKey) async throws -> PreparedFrame
    /// Stores prepared frames of one peer, as few transactions as possible; frames before an
    /// invalid one are stored exactly as if each had been committed alone.
    func commit(_ frames: [PreparedFrame]) async throws -> IngestOutcome
    /// A session's peer is `expecting` entries ahead of an empty store: the ingest may switch to
    /// its bulk path.
    func beginBootstrap(owner: UInt64, expecting: UInt64) async
    /// Ends the bulk path of session `owner`, or any idle one when `owner` is nil.
    func endBootstrap(owner: UInt64?) async
}

/// What the gossip layer reads of the node's entries, for sync and relay. Calls block (they read
/// SQLite); the gossip layer runs them on a thread pool.
public protocol EntrySource: Sendable {
    /// Every author's head as held.
    func localHeads() throws -> [LocalHead]
    /// The local arrival number of the newest entry (0 when empty).
    func lastLocalSeq() throws -> Int64
    /// Author and seq of the entries after a local arrival number, in arrival order.
    func entryHeaders(after localSeq: Int64, limit: Int) throws -> [(localSeq: Int64, author: PublicKey, seq: UInt64)]
    /// The bytes of the entries after a local arrival number, in arrival order.
    func entries(after localSeq: Int64, limit: Int) throws -> [(Int64, [UInt8])]
    /// An author's entries from `from` to `to` (forks included), by seq.
    func entries(of author: PublicKey, from: UInt64, to: UInt64, limit: Int) throws -> [(seq: UInt64, bytes: [UInt8])]
    /// Waits until an entry after `localSeq` is committed (pushed by the store, not polled), or
    /// `timeout` passes.
    /// - Returns: the newest local arrival number committed (`localSeq` itself if nothing came).
    func waitForEntries(after localSeq: Int64, timeout: Duration) async -> Int64
    /// The key rotations held: (author, successor) pairs.
    func keyRotations() throws -> [(author: PublicKey, successor: PublicKey)]
}

extension EntrySource {
    /// A source that holds no rotations.
    public func keyRotations() throws -> [(author: PublicKey, successor: PublicKey)] { [] }
}

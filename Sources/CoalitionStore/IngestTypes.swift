import CoalitionCore
import CoalitionCrypto

/// Local policy for ingest: which authors this node accepts. Kept apart from validity, which
/// is the same on every node.
public struct IngestPolicy: Sendable {
    /// Authors whose entries are stored; nil accepts every author.
    public var acceptedAuthors: Set<PublicKey>?
    /// When true, one invalid entry rejects the whole batch and nothing is stored
    /// (used for batches from a single peer or file that must be all-or-nothing).
    public var atomic: Bool

    public init(acceptedAuthors: Set<PublicKey>? = nil, atomic: Bool = false) {
        self.acceptedAuthors = acceptedAuthors
        self.atomic = atomic
    }

    /// Accepts every valid entry, skipping invalid ones.
    public static let acceptAll = IngestPolicy()
}

/// What an ingest did with each entry of a batch.
public struct IngestReport: Sendable, Equatable {
    /// An entry that was refused.
    public struct Rejection: Sendable, Equatable {
        /// Its position in the batch.
        public let index: Int
        public let code: CoalitionError.Code
        public let message: String

        public init(index: Int, code: CoalitionError.Code, message: String) {
            self.index = index
            self.code = code
            self.message = message
        }
    }
    /// Entries stored and applied (including pending ones they released).
    public var applied = 0
    /// Entries already stored or pending.
    public var duplicates = 0
    /// The positions of those entries in the batch (in the whole input, once absorbed with an
    /// offset), so that a report can name each one's line.
    public var duplicateIndexes: [Int] = []
    /// Entries stored as pending: their predecessor has not arrived.
    public var pending = 0
    /// Pending entries (from this or earlier batches) applied because their predecessor arrived.
    public var released = 0
    /// Pending entries dropped when their predecessor arrived and they did not link to it.
    public var discarded = 0
    /// Refused entries.
    public var rejected: [Rejection] = []
    /// True when an atomic batch was refused as a whole.
    public var rolledBack = false
    /// IDs of newly applied entries, in the order they were applied.
    public var appliedIDs: [EntryID] = []
    /// Entries of this batch held as pending, so that a syncing node can ask for what they wait on.
    public var pendingEntries: [PendingRef] = []
    /// Their positions in the batch, in the same order as ``pendingEntries``.
    public var pendingIndexes: [Int] = []

    /// What the batch changed in the merged state, in cursor order: what the store's
    /// ``CommitFeed`` publishes once the transaction has committed.
    public var changes: [ChangeRecord] = []
    /// The local arrival numbers (cursors) of the entries this batch stored, when it stored any.
    public var rows: ClosedRange<Int64>?

    /// Authors this batch revealed as equivocators, with the seq of the fork found.
    public var newEquivocations: [PendingRef] = []

    /// An entry held as pending, or a fork: its author and seq.
    public struct PendingRef: Sendable, Equatable {
        public let author: PublicKey
        public let seq: UInt64
    }

    public init() {}

    /// Adds the report of a later batch (its rejections keep their own batch's indexes).
    public mutating func absorb(_ later: IngestReport) {
        applied += later.applied
        duplicates += later.duplicates
        duplicateIndexes += later.duplicateIndexes
        pending += later.pending
        pendingIndexes += later.pendingIndexes
        released += later.released
        discarded += later.discarded
        rejected += later.rejected
        rolledBack = rolledBack || later.rolledBack
        appliedIDs += later.appliedIDs
        pendingEntries += later.pendingEntries
        newEquivocations += later.newEquivocations
    }
}

/// An entry that passed the intrinsic rules, with the body this node can read.
///
/// A class: the committing thread passes each one from the prepared batch to the writer, and a
/// struct copy retained and released every string and array of the entry and its bodies.
final class VerifiedEntry: Sendable {
    let entry: Entry
    let body: Body
    let readable: Body?
    /// The `indicatorKey` column of a readable publish, hashed here (on all cores during
    /// `prepare`) rather than inside the single-threaded write transaction.
    let indicatorStorageKey: Int64?

    init(entry: Entry, body: Body, reader: [Signer]) {
        self.entry = entry
        self.body = body
        if case .sealed(let envelope) = body {
            self.readable = reader.lazy.compactMap { envelope.open(with: $0, author: entry.author, seq: entry.seq) }.first
        } else {
            self.readable = body
        }
        if case .publish(let signal) = readable {
            indicatorStorageKey = signal.indicator.storageKey
        } else {
            indicatorStorageKey = nil
        }
    }
}

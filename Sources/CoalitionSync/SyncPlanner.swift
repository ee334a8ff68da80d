import CoalitionCore
import CoalitionCrypto

/// A run of one author's entries to send to a peer, in seq order.
public struct SendRange: Sendable, Equatable {
    public var author: PublicKey
    /// First and last seq, inclusive.
    public var from: UInt64
    public var to: UInt64
    /// When set, the peer's head is at seq `from` with this ID prefix: the entry at `from` is sent
    /// only if its ID differs (the peer holds another branch), otherwise sending starts at `from + 1`.
    public var peerHeadPrefix: UInt64?
    /// Every branch of the range is sent, not just the main chain (the author equivocates).
    public var allBranches: Bool

    public init(author: PublicKey, from: UInt64, to: UInt64, peerHeadPrefix: UInt64? = nil, allBranches: Bool = false) {
        self.author = author
        self.from = from
        self.to = to
        self.peerHeadPrefix = peerHeadPrefix
        self.allBranches = allBranches
    }

    /// How many entries the range spans at most.
    public var count: UInt64 { to - from + 1 }
}

/// What a peer's heads digest means for this node: what to send it and what it already holds.
public struct SyncPlan: Sendable, Equatable {
    /// Runs to send, one per author at most, sorted by author.
    public var ranges: [SendRange] = []
    /// The highest seq the peer is known to hold, for each local author it matched.
    public var peerSeqs: [PublicKey: UInt64] = [:]
    /// Entries the peer announced beyond what this node holds (it will send them).
    public var peerAhead: UInt64 = 0

    /// Entries to send, at most.
    public var entriesToSend: UInt64 { ranges.reduce(0) { $0 + $1.count } }
}

/// Computes, from local heads and a peer's digest, which entries the peer lacks (§13.4).
/// Pure: the session carries the plan out against the store.
public enum SyncPlanner {
    public static func plan(local: [LocalHead], peer: HeadsSummary) -> SyncPlan {
        var byPrefix: [UInt64: [HeadsSummary.Author]] = [:]
        for a in peer.authors { byPrefix[a.authorPrefix, default: []].append(a) }
        var plan = SyncPlan()
        var matched = Set<UInt64>()
        for mine in local.sorted(by: { $0.author < $1.author }) where mine.seq > 0 {
            let prefix = HeadsSummary.prefix(mine.author.bytes)
            let candidates = byPrefix[prefix] ?? []
            guard candidates.count == 1, let theirs = candidates.first else {
                // Unknown to the peer, or an ambiguous prefix: send the whole chain. Duplicates
                // are dropped on arrival, so an ambiguity costs bytes, never correctness.
                plan.ranges.append(SendRange(author: mine.author, from: 1, to: mine.seq, allBranches: mine.equivocating))
                plan.peerSeqs[mine.author] = 0
                continue
            }
            matched.insert(prefix)
            let myHead = HeadsSummary.prefix(mine.head.bytes)
            if mine.equivocating || theirs.equivocatingCount != nil {
                // Forked chains: heads cannot show which branches each side holds, so compare
                // counts and send every branch when they differ.
                let same = theirs.seq == mine.seq && theirs.headPrefix == myHead && theirs.equivocatingCount == UInt64(mine.entryCount)
                if !same, mine.equivocating || theirs.seq <= mine.seq {
                    plan.ranges.append(SendRange(author: mine.author, from: 1, to: mine.seq, allBranches: true))
                }
                plan.peerSeqs[mine.author] = min(theirs.seq, mine.seq)
                if theirs.seq > mine.seq { plan.peerAhead += theirs.seq - mine.seq }
                continue
            }
            if theirs.seq < mine.seq {
                let from = max(theirs.seq, 1)
                plan.ranges.append(SendRange(author: mine.author, from: from, to: mine.seq,
                                             peerHeadPrefix: theirs.seq == 0 ? nil : theirs.headPrefix))
                plan.peerSeqs[mine.author] = theirs.seq
            } else if theirs.seq == mine.seq {
                if theirs.headPrefix != myHead {
                    // Same length, different head: the author forked. Our head lets the peer
                    // detect it (or ask for the predecessors it lacks).
                    plan.ranges.append(SendRange(author: mine.author, from: mine.seq, to: mine.seq))
                }
                plan.peerSeqs[mine.author] = mine.seq
            } else {
                plan.peerAhead += theirs.seq - mine.seq
                plan.peerSeqs[mine.author] = mine.seq
            }
        }
        let localPrefixes = Set(local.map { HeadsSummary.prefix($0.author.bytes) })
        for a in peer.authors where !matched.contains(a.authorPrefix) && !localPrefixes.contains(a.authorPrefix) {
            plan.peerAhead += a.seq
        }
        return plan
    }
}

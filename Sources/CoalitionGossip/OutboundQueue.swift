import CoalitionCrypto
import CoalitionSync
import NIOConcurrencyHelpers

/// One peer's outbound work, in priority order: control messages, pushed entries, then sync
/// ranges read from the store chunk by chunk. Pushes are bounded by an ``OutboundBudget``; sync
/// ranges cost no memory until they are read, so a long sync never grows the queue.
final class OutboundQueue: Sendable {
    /// The next thing the writer should do.
    enum Work: Sendable {
        case message(WireMessage)
        case pushes([[UInt8]])
        case sync(SendRange)
        /// The queue overflowed: send heads asking for the peer's, then sync from its answer.
        case digestSync
    }

    private struct State {
        var control: [WireMessage] = []
        var pushes: [(author: PublicKey, seq: UInt64, bytes: [UInt8])] = []
        var ranges: [SendRange] = []
        var budget: OutboundBudget
        var knowledge = PeerKnowledge()
        var closed = false
    }

    private let state: NIOLockedValueBox<State>
    private let bell: AsyncStream<Void>.Continuation
    /// Rings when work arrives; the writer waits on it.
    let doorbell: AsyncStream<Void>

    init(limit: Int) {
        state = NIOLockedValueBox(State(budget: OutboundBudget(limit: limit)))
        (doorbell, bell) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func send(_ message: WireMessage) {
        state.withLockedValue { $0.control.append(message) }
        bell.yield()
    }

    /// Queues entries for the peer, skipping those it is known to hold and extending a running
    /// sync range instead of queueing behind it. Returns true if the queue overflowed.
    @discardableResult
    func push(_ entries: [(author: PublicKey, seq: UInt64, bytes: [UInt8])]) -> Bool {
        let (queued, overflow) = state.withLockedValue { s -> (Bool, Bool) in
            guard !s.closed else { return (false, false) }
            var queued = false
            for e in entries where s.knowledge.mayLack(author: e.author, seq: e.seq) {
                if let i = s.ranges.firstIndex(where: { $0.author == e.author }) {
                    s.ranges[i].to = max(s.ranges[i].to, e.seq)
                    s.knowledge.note(author: e.author, seq: e.seq)
                    queued = true
                } else if s.budget.admit(e.bytes.count) {
                    s.pushes.append(e)
                    s.knowledge.note(author: e.author, seq: e.seq)
                    queued = true
                } else {
                    // Too slow a peer: forget the queue and what it implied, and let a digest
                    // sync (heads both ways) work out what the peer lacks.
                    s.budget.overflowed(droppingQueued: s.pushes.count)
                    s.pushes.removeAll()
                    s.knowledge = PeerKnowledge()
                    return (false, true)
                }
            }
            return (queued, false)
        }
        if queued || overflow { bell.yield() }
        return overflow
    }

    /// Adds sync ranges (from a heads exchange or a range request); a range for an author that
    /// already has one widens it.
    func addRanges(_ ranges: [SendRange]) {
        guard !ranges.isEmpty else { return }
        state.withLockedValue { s in
            for r in ranges {
                s.knowledge.note(author: r.author, seq: r.to)
                if let i = s.ranges.firstIndex(where: { $0.author == r.author }) {
                    s.ranges[i].from = min(s.ranges[i].from, r.from)
                    s.ranges[i].to = max(s.ranges[i].to, r.to)
                    s.ranges[i].allBranches = s.ranges[i].allBranches || r.allBranches
                    s.ranges[i].peerHeadPrefix = nil
                } else {
                    s.ranges.append(r)
                }
            }
        }
        bell.yield()
    }

    /// Records what the peer holds (from its heads, or entries it sent).
    func noteHeld(_ seqs: [PublicKey: UInt64]) {
        state.withLockedValue { s in for (a, q) in seqs { s.knowledge.note(author: a, seq: q) } }
    }

    /// Whether the peer may lack any of these entries.
    func mayLackAny(_ entries: [(localSeq: Int64, author: PublicKey, seq: UInt64)]) -> Bool {
        mayLackAny(entries.lazy.map { ($0.author, $0.seq) })
    }

    /// Whether the peer may lack any of these (author, seq) positions.
    func mayLackAny(_ positions: some Sequence<(PublicKey, UInt64)>) -> Bool {
        state.withLockedValue { s in !s.closed && positions.contains { s.knowledge.mayLack(author: $0.0, seq: $0.1) } }
    }

    func knowledge() -> PeerKnowledge { state.withLockedValue { $0.knowledge } }

    /// Takes the next work item; `maxPushBytes` bounds one frame of pushes.
    func next(maxPushBytes: Int) -> Work? {
        state.withLockedValue { s in
            guard !s.closed else { return nil }
            if !s.control.isEmpty { return .message(s.control.removeFirst()) }
            if s.budget.needsDigestSync {
                s.budget.digestSyncStarted()
                return .digestSync
            }
            if !s.pushes.isEmpty {
                var batch: [[UInt8]] = []
                var bytes = 0
                while let e = s.pushes.first, batch.isEmpty || bytes + e.bytes.count + 4 <= maxPushBytes {
                    batch.append(e.bytes)
                    bytes += e.bytes.count + 4
                    s.pushes.removeFirst()
                }
                s.budget.sent(bytes - 4 * batch.count)
                return .pushes(batch)
            }
            if !s.ranges.isEmpty { return .sync(s.ranges.removeFirst()) }
            return nil
        }
    }

    /// Puts back the unsent rest of a sync range (at the front, to keep per-author order).
    func resume(_ range: SendRange) {
        state.withLockedValue { s in
            if let i = s.ranges.firstIndex(where: { $0.author == range.author }) {
                s.ranges[i].from = min(s.ranges[i].from, range.from)
                s.ranges[i].to = max(s.ranges[i].to, range.to)
            } else {
                s.ranges.insert(range, at: 0)
            }
        }
    }

    /// Overflows so far.
    var dropped: Int { state.withLockedValue { $0.budget.dropped } }

    /// Whether anything is waiting to be sent.
    var isIdle: Bool { state.withLockedValue { $0.control.isEmpty && $0.pushes.isEmpty && $0.ranges.isEmpty && !$0.budget.needsDigestSync } }

    func close() {
        state.withLockedValue { $0.closed = true; $0.pushes.removeAll(); $0.ranges.removeAll() }
        bell.finish()
    }
}

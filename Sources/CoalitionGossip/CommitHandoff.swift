import NIOConcurrencyHelpers

/// Hands verified batches from a session's reader to its committer.
///
/// The reader waits while `capacity` batches are waiting. The committer takes everything that is
/// waiting at once, so that when commits fall behind the next transaction grows (and costs less
/// per entry, since every transaction rewrites its index pages and journals its own WAL frames)
/// instead of the reader stalling.
///
/// Cancelling either side closes the handoff: pushes then fail and the committer gets nil, as an
/// `AsyncStream` would end.
final class CommitHandoff<Batch: Sendable>: Sendable {
    private struct State: Sendable {
        var waiting: [Batch] = []
        /// The reader has finished: the committer drains what is waiting, then gets nil.
        var inputFinished = false
        /// The committer stopped (or a side was cancelled): nothing more is accepted or handed out.
        var closed = false
        var taker: CheckedContinuation<Void, Never>?
        var pushers: [CheckedContinuation<Void, Never>] = []

        mutating func wakeAll() {
            taker?.resume()
            taker = nil
            for p in pushers { p.resume() }
            pushers.removeAll()
        }
    }

    private let capacity: Int
    private let state = NIOLockedValueBox(State())

    /// - Parameter capacity: batches that may wait before the reader is held back.
    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    /// Queues a batch, waiting while `capacity` batches are queued.
    /// - Returns: false if the committer has stopped; the batch was dropped.
    func push(_ batch: Batch) async -> Bool {
        await withTaskCancellationHandler {
            while true {
                let added: Bool? = state.withLockedValue { s in
                    if s.closed { return false }
                    guard s.waiting.count < capacity else { return nil }
                    s.waiting.append(batch)
                    s.taker?.resume()
                    s.taker = nil
                    return true
                }
                if let added { return added }
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let ready = state.withLockedValue { s in
                        if s.closed || s.waiting.count < capacity { return true }
                        s.pushers.append(c)
                        return false
                    }
                    if ready { c.resume() }
                }
            }
        } onCancel: {
            close()
        }
    }

    /// Everything queued, once at least one batch is; nil when the reader has finished and
    /// everything was taken, or when the handoff was closed.
    func takeAll() async -> [Batch]? {
        await withTaskCancellationHandler {
            while true {
                let taken: [Batch]?? = state.withLockedValue { s in
                    if s.closed { return .some(nil) }
                    if s.waiting.isEmpty { return s.inputFinished ? .some(nil) : nil }
                    let all = s.waiting
                    s.waiting.removeAll()
                    for p in s.pushers { p.resume() }
                    s.pushers.removeAll()
                    return .some(all)
                }
                if let taken { return taken }
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let ready = state.withLockedValue { s in
                        if s.closed || s.inputFinished || !s.waiting.isEmpty { return true }
                        s.taker = c
                        return false
                    }
                    if ready { c.resume() }
                }
            }
        } onCancel: {
            close()
        }
    }

    /// The reader is done: the committer drains what is queued, then gets nil.
    func finishInput() {
        state.withLockedValue { s in
            s.inputFinished = true
            s.wakeAll()
        }
    }

    /// The committer stopped: queued batches are dropped and pushes fail.
    func close() {
        state.withLockedValue { s in
            s.closed = true
            s.waiting.removeAll()
            s.wakeAll()
        }
    }
}

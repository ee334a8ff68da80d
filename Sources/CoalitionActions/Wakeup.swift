import Dispatch
import Synchronization

/// Wakes waiting tasks when something new is queued: the outbox's writer rings it, the
/// deliverers wait on it (with a timeout, so that a ring from another process is noticed
/// by polling).
public final class Wakeup: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var next: UInt64 = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// The count of rings so far; pass it to ``wait(after:timeout:)``.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Wakes every waiter.
    public func ring() {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.generation += 1
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for c in woken { c.resume() }
    }

    /// Returns when the generation moves past `seen`, after `timeout`, or on cancellation.
    public func wait(after seen: UInt64, timeout: Duration) async {
        let id = state.withLock { s -> UInt64 in
            s.next += 1
            return s.next
        }
        let take: @Sendable () -> Void = { self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let registered = state.withLock { s -> Bool in
                    guard s.generation == seen, !Task.isCancelled else { return false }
                    s.waiters[id] = c
                    return true
                }
                guard registered else { return c.resume() }
                let (seconds, attoseconds) = timeout.components
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)), execute: take)
            }
        } onCancel: {
            take()
        }
    }
}

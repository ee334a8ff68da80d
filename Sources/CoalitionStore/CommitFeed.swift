import CoalitionCore
import Dispatch
import Foundation
import Synchronization

/// What each commit changed, pushed to subscribers: the relay, the match indexes, `/v1/stream`
/// and alerting read it instead of polling the database.
///
/// After every write transaction of its store, the store publishes the transaction's
/// ``ChangeRecord``s here. The feed keeps the most recent ones in memory (``capacity`` records);
/// a subscriber reads from its own cursor, from memory when the feed still holds everything
/// after it, and otherwise from the `entry` table, in pages, as it would after a restart. So a
/// slow subscriber catches up instead of losing changes, and a cursor saved across a restart
/// resumes exactly.
///
/// Another process (the CLI) writing to the same database is noticed by ``catchUp()``, which
/// the daemon calls every half second and whenever the CLI tells it that it wrote; those changes
/// are then read from the table.
public final class CommitFeed: Sendable {
    /// One committed transaction: the entries after `after` up to `through`, and their changes
    /// (nil for changes only the table holds: another process's writes).
    struct Batch: Sendable {
        let after: Int64
        let through: Int64
        let changes: [ChangeRecord]?
    }

    private struct State {
        /// Published batches, by `after`; disjoint.
        var batches: [Batch] = []
        var records = 0
        /// The newest cursor known to be committed.
        var through: Int64 = 0
        var waiters: [UInt64: (after: Int64, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter: UInt64 = 0
        /// Waiters cancelled before they registered.
        var cancelled: Set<UInt64> = []
    }

    private let state: Mutex<State>
    /// Records kept in memory; older batches are dropped (subscribers behind them read the table).
    public let capacity: Int
    private let storeReads = Atomic<Int>(0)
    /// Reads the table: changes after a cursor (whole entries, at most `limit` of them) and the
    /// newest cursor, in one read transaction.
    private let readTable: @Sendable (Int64, Int) throws -> (changes: [ChangeRecord], through: Int64)

    init(through: Int64, capacity: Int, readTable: @escaping @Sendable (Int64, Int) throws -> (changes: [ChangeRecord], through: Int64)) {
        var s = State()
        s.through = through
        self.state = Mutex(s)
        self.capacity = capacity
        self.readTable = readTable
    }

    /// The newest cursor committed, as far as this process knows.
    public var through: Int64 { state.withLock { $0.through } }

    /// How many reads went to the table because memory did not hold what a subscriber needed.
    public var tableReads: Int { storeReads.load(ordering: .relaxed) }

    // MARK: publishing

    /// Publishes a committed transaction's changes (the store calls this after each commit).
    func publish(after: Int64, through: Int64, changes: [ChangeRecord]?) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            insert(Batch(after: after, through: through, changes: changes), into: &s)
            return Self.takeWaiters(&s)
        }
        for c in woken { c.resume() }
    }

    /// Notices entries written by another process since the last publish, so subscribers read
    /// them from the table.
    /// - Returns: the newest cursor.
    @discardableResult
    public func catchUp() throws -> Int64 {
        let known = through
        let (_, last) = try readTable(known, 0)
        if last > known { publish(after: known, through: last, changes: nil) }
        return max(last, known)
    }

    private func insert(_ b: Batch, into s: inout State) {
        s.through = max(s.through, b.through)
        guard b.through > b.after else { return }
        let i = s.batches.firstIndex { $0.after >= b.after } ?? s.batches.count
        if i < s.batches.count, s.batches[i].after == b.after, s.batches[i].through == b.through {
            // The same rows noticed first as another process's (a catch-up raced the publish).
            if s.batches[i].changes == nil, let changes = b.changes {
                s.records += changes.count - 1
                s.batches[i] = b
            }
            return
        }
        s.batches.insert(b, at: i)
        s.records += b.changes?.count ?? 1
        while s.records > capacity, s.batches.count > 1 {
            s.records -= s.batches.removeFirst().changes?.count ?? 1
        }
    }

    private static func takeWaiters(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        let ready = s.waiters.filter { $0.value.after < s.through }
        for key in ready.keys { s.waiters[key] = nil }
        return ready.values.map(\.continuation)
    }

    // MARK: reading

    /// The changes after `cursor` (up to about `limit`, never splitting one entry's changes) and
    /// the cursor to read from next. From memory when it holds everything after `cursor`, from
    /// the table otherwise (a subscriber that fell behind, or writes of another process).
    public func read(after cursor: Int64, limit: Int = 1000) throws -> (changes: [ChangeRecord], next: Int64) {
        if let fromMemory = state.withLock({ s in Self.collect(after: cursor, limit: limit, in: s) }) { return fromMemory }
        storeReads.add(1, ordering: .relaxed)
        let page = try readTable(cursor, limit)
        // A full page may stop short of the newest entry: continue from its last change.
        let next = page.changes.count >= limit ? (page.changes.last?.cursor ?? cursor) : max(page.through, cursor)
        return (page.changes, next)
    }

    /// The changes after `cursor` from memory, or nil when memory does not hold all of them.
    /// At most `limit` changes, cut between entries (an entry's changes share a cursor).
    private static func collect(after cursor: Int64, limit: Int, in s: State) -> (changes: [ChangeRecord], next: Int64)? {
        if cursor >= s.through { return ([], cursor) }
        guard var i = s.batches.firstIndex(where: { $0.through > cursor }), s.batches[i].after <= cursor else { return nil }
        var out: [ChangeRecord] = []
        var next = cursor
        batches: while i < s.batches.count {
            let b = s.batches[i]
            guard b.after <= next, let changes = b.changes else { break }
            for c in changes where c.cursor > cursor {
                if out.count >= limit, c.cursor != out.last?.cursor {
                    next = out.last!.cursor
                    break batches
                }
                out.append(c)
            }
            next = b.through
            i += 1
        }
        // Nothing usable (the next batch is another process's): the table has it.
        return next == cursor ? nil : (out, next)
    }

    /// Waits until something after `cursor` is committed, `timeout` passes or the task is
    /// cancelled.
    /// - Returns: whether something was committed.
    @discardableResult
    public func wait(after cursor: Int64, timeout: Duration) async -> Bool {
        if through > cursor || Task.isCancelled { return through > cursor }
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        let cancel: @Sendable () -> Void = { self.state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let registered = state.withLock { s -> Bool in
                    if s.through > cursor || s.cancelled.remove(id) != nil { return false }
                    s.waiters[id] = (cursor, c)
                    return true
                }
                guard registered else { return c.resume() }
                let (seconds, attoseconds) = timeout.components
                let nanos = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
                // Resumed here unless a publish or the cancellation took it first.
                DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanos), execute: cancel)
            }
        } onCancel: {
            // Cancelled before the waiter was registered: it must not register afterwards.
            let waiting = state.withLock { s -> CheckedContinuation<Void, Never>? in
                if let w = s.waiters.removeValue(forKey: id) { return w.continuation }
                s.cancelled.insert(id)
                return nil
            }
            waiting?.resume()
        }
        state.withLock { _ = $0.cancelled.remove(id) }
        return through > cursor
    }

    /// Every change after `cursor`, pushed as it is committed: a page at a time, in cursor order,
    /// from memory or (after falling behind, or for another process's writes) from the table.
    /// Table reads run on a global queue, never on the caller's executor. The stream ends with
    /// an error if the table cannot be read.
    public func subscribe(after cursor: Int64, limit: Int = 1000) -> AsyncThrowingStream<[ChangeRecord], any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var at = cursor
                do {
                    while !Task.isCancelled {
                        let from = at
                        let page = try await withCheckedThrowingContinuation { (c: CheckedContinuation<(changes: [ChangeRecord], next: Int64), any Error>) in
                            DispatchQueue.global().async { c.resume(with: Result { try self.read(after: from, limit: limit) }) }
                        }
                        at = page.next
                        if !page.changes.isEmpty { continuation.yield(page.changes) }
                        if at >= through { await wait(after: at, timeout: .seconds(1)) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

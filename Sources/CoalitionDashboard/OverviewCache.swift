import CoalitionStore
import Foundation
import NIOConcurrencyHelpers

/// The overview's counts, kept between requests: counting a million signals takes seconds, so
/// a page is served from the last count, and a stale one (older than ``maxAge`` with new
/// entries since, or older than ``maxIdleAge``) is counted again in the background. Counting
/// never takes more than a tenth of a core: a count that took `d` is not repeated within `10 d`.
/// The node counts once at start; a page asked for before that count ends waits for it.
final class OverviewCache: Sendable {
    struct Snapshot: Sendable {
        var counts: OverviewCounts
        var sinceDay: Int64
        var lastSeq: Int64
        var at: ContinuousClock.Instant
        var wall: Int64
        /// How long the count took.
        var took: Duration
    }
    let store: EntryStore
    let days: Int
    let maxAge: Duration
    let maxIdleAge: Duration
    private let state = NIOLockedValueBox<(snapshot: Snapshot?, refreshing: Bool)>((nil, false))
    /// One count at a time: a page that finds none waits for the one under way.
    private let counting = NIOLock()

    init(store: EntryStore, days: Int = 30, maxAge: Duration = .seconds(5), maxIdleAge: Duration = .seconds(60)) {
        self.store = store
        self.days = days
        self.maxAge = maxAge
        self.maxIdleAge = maxIdleAge
    }

    /// The counts; blocking (SQLite): call off the event loops. `refresh` runs a background
    /// recount when the snapshot is stale.
    func counts(refresh: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) throws -> Snapshot {
        let now = ContinuousClock.now
        let today = UsageDay.day(of: .nowMillis)
        let (cached, busy) = state.withLockedValue { ($0.snapshot, $0.refreshing) }
        guard let cached, cached.sinceDay == today - Int64(days) + 1 else {
            return try counting.withLock {
                if let s = state.withLockedValue({ $0.snapshot }), s.sinceDay == today - Int64(days) + 1 { return s }
                return try count()
            }
        }
        let age = now - cached.at
        if !busy, age >= max(maxAge, cached.took * 10) {
            let changed = (try? store.lastLocalSeq()) != cached.lastSeq
            if changed || age >= maxIdleAge {
                state.withLockedValue { $0.refreshing = true }
                refresh { [self] in
                    _ = try? recount()
                    state.withLockedValue { $0.refreshing = false }
                }
            }
        }
        return cached
    }

    /// Counts now (after any count under way).
    @discardableResult
    func recount() throws -> Snapshot { try counting.withLock { try count() } }

    private func count() throws -> Snapshot {
        let started = ContinuousClock.now
        let seq = try store.lastLocalSeq()
        let now = Int64.nowMillis
        let since = UsageDay.day(of: now) - Int64(days) + 1
        let counts = try store.overviewCounts(sinceDay: since, now: now)
        let s = Snapshot(counts: counts, sinceDay: since, lastSeq: seq, at: .now, wall: now, took: .now - started)
        state.withLockedValue { $0.snapshot = s }
        return s
    }
}

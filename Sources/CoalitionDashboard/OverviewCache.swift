import CoalitionStore
import Foundation
import NIOConcurrencyHelpers

/// The overview's counts, kept between requests: counting a million signals takes a large
/// part of a second, so a page is served from the last count and a stale one (older than
/// ``maxAge`` with new entries since, or older than ``maxIdleAge``) is counted again in the
/// background. Only the very first page waits for a count.
final class OverviewCache: Sendable {
    struct Snapshot: Sendable {
        var counts: OverviewCounts
        var sinceDay: Int64
        var lastSeq: Int64
        var at: ContinuousClock.Instant
        var wall: Int64
    }
    let store: EntryStore
    let days: Int
    let maxAge: Duration
    let maxIdleAge: Duration
    private let state = NIOLockedValueBox<(snapshot: Snapshot?, refreshing: Bool)>((nil, false))

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
        guard let cached, cached.sinceDay == today - Int64(days) + 1 else { return try recount() }
        let age = now - cached.at
        if !busy, age >= maxAge {
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

    @discardableResult
    func recount() throws -> Snapshot {
        let seq = try store.lastLocalSeq()
        let now = Int64.nowMillis
        let since = UsageDay.day(of: now) - Int64(days) + 1
        let s = Snapshot(counts: try store.overviewCounts(sinceDay: since, now: now), sinceDay: since, lastSeq: seq, at: .now, wall: now)
        state.withLockedValue { $0.snapshot = s }
        return s
    }
}

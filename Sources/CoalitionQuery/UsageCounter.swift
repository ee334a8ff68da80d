import CoalitionStore
import Synchronization

/// Counts lookups and their matches (by the matched signal's category) in memory, for the local
/// part of the transparency report; ``flush(to:now:)`` adds them to the store's day rows. A
/// lookup costs one uncontended lock, never a write.
public final class UsageCounter: Sendable {
    private struct Counts {
        var lookups = 0
        var matches: [String: Int] = [:]
    }
    private let counts = Mutex(Counts())

    public init() {}

    /// Counts answered lookups; each result with a match counts once per category it matched.
    func record(_ results: some Sequence<LookupResult>) {
        counts.withLock { c in
            for r in results {
                c.lookups += 1
                for category in Set(r.matches.map(\.signal.category)) { c.matches[category, default: 0] += 1 }
            }
        }
    }

    /// Counts a text scan as one lookup, with its matches.
    func record(_ matches: [TextMatch]) {
        counts.withLock { c in
            c.lookups += 1
            for category in Set(matches.map(\.signal.category)) { c.matches[category, default: 0] += 1 }
        }
    }

    /// Moves the counts to `store` (today's row, UTC). On failure they are kept for the next flush.
    public func flush(to store: EntryStore, now: Int64 = .nowMillis) throws {
        let taken = counts.withLock { c in defer { c = Counts() }; return c }
        do {
            try store.recordUsage(day: UsageDay.day(of: now), lookups: taken.lookups, matchesByCategory: taken.matches)
        } catch {
            counts.withLock { c in
                c.lookups += taken.lookups
                for (k, n) in taken.matches { c.matches[k, default: 0] += n }
            }
            throw error
        }
    }
}

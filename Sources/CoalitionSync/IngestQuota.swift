import CoalitionCrypto

/// The per-author ingest quota (§13.7): a token bucket per author. A member that floods the
/// network is slowed to the refill rate; entries beyond its tokens are deferred (not stored, not
/// acknowledged in heads), counted, and fetched again by a later digest sync once tokens return.
public struct IngestQuota: Sendable {
    /// Tokens an author starts with and can accumulate: the largest burst.
    public let burst: Double
    /// Tokens added per second.
    public let perSecond: Double
    private var buckets: [PublicKey: (tokens: Double, at: Double)] = [:]
    /// Entries deferred so far, per author.
    public private(set) var deferred: [PublicKey: Int] = [:]

    public init(entriesPerMinute: Int, burst: Int) {
        self.perSecond = Double(entriesPerMinute) / 60
        self.burst = Double(max(burst, 1))
    }

    /// Takes up to `count` tokens for `author` at time `now` (seconds); returns how many entries
    /// may be stored now. The rest are counted as deferred.
    public mutating func admit(_ count: Int, author: PublicKey, now: Double) -> Int {
        var b = buckets[author] ?? (burst, now)
        b.tokens = min(burst, b.tokens + max(0, now - b.at) * perSecond)
        b.at = now
        let granted = min(count, Int(b.tokens))
        b.tokens -= Double(granted)
        buckets[author] = b
        if granted < count { deferred[author, default: 0] += count - granted }
        return granted
    }

    /// Total entries deferred.
    public var totalDeferred: Int { deferred.values.reduce(0, +) }
}

import Foundation
import NIOConcurrencyHelpers

/// A token bucket per key (per API token): `perSecond` requests a second, bursts of `burst`.
final class RateLimiter: Sendable {
    private let perSecond: Double
    private let burst: Double
    private let buckets = NIOLockedValueBox<[String: (tokens: Double, at: Double)]>([:])

    init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Nil when the request may proceed, else the seconds to wait.
    func admit(_ key: String, cost: Double = 1, now: Double = ProcessInfo.processInfo.systemUptime) -> Int? {
        buckets.withLockedValue { b in
            var bucket = b[key] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.at) * perSecond)
            bucket.at = now
            defer { b[key] = bucket }
            if bucket.tokens >= cost {
                bucket.tokens -= cost
                return nil
            }
            return max(1, Int(((cost - bucket.tokens) / perSecond).rounded(.up)))
        }
    }
}

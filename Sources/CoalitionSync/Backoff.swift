/// Reconnection delays: exponential backoff with full jitter. Attempt *n* waits a uniformly
/// random time in `[base/2, min(cap, base·2ⁿ)]`, so a restarted hub is not hit by every peer at once.
public struct Backoff: Sendable, Equatable {
    /// The first delay's upper bound, in seconds.
    public var base: Double
    /// The largest delay, in seconds.
    public var cap: Double
    /// Failed attempts since the last success.
    public private(set) var attempt = 0

    public init(base: Double = 0.25, cap: Double = 60) {
        self.base = base
        self.cap = max(cap, base)
    }

    /// The next delay, given a uniform random number in [0, 1); records the attempt.
    public mutating func nextDelay(random unit: Double) -> Double {
        let ceiling = min(cap, base * Double(1 << min(attempt, 30)))
        attempt += 1
        let floor = min(base / 2, ceiling)
        return floor + (ceiling - floor) * min(max(unit, 0), 1)
    }

    /// A connection succeeded: start again from `base`.
    public mutating func reset() { attempt = 0 }
}

/// When to retry a webhook delivery and when to give up: pure decisions, tested without sockets.
///
/// A failed attempt is retried after an exponential backoff with jitter (half the delay fixed,
/// half random, so that endpoints recovering together are not hit in lockstep), capped at
/// ``maxBackoffSeconds``. A message still undelivered ``giveUpAfterSeconds`` after it was queued
/// is dead. A `410 Gone` is dead at once: the receiver says it will never take it.
public struct DeliveryPolicy: Sendable, Equatable, Codable {
    /// Seconds one attempt may take, from connecting to the response's status line.
    public var timeoutSeconds: Double = 10
    /// The delay after the first failure.
    public var initialBackoffSeconds: Double = 1
    /// The longest delay between attempts.
    public var maxBackoffSeconds: Double = 300
    /// The horizon: after this long in the queue, a message is marked dead.
    public var giveUpAfterSeconds: Double = 86_400
    /// Messages waiting per endpoint; events beyond it are dropped and counted.
    public var maxBacklog: Int = 100_000
    /// Delivered and dead messages are kept this long for `GET /v1/deliveries`, then pruned.
    public var retainSeconds: Double = 86_400

    public init() {}

    /// What one attempt came to.
    public enum Outcome: Sendable, Equatable {
        /// The endpoint answered with this HTTP status.
        case status(Int)
        /// No answer: the connection failed, timed out or broke (the reason, for the log).
        case failed(String)
    }

    /// What to do with the message next.
    public enum Decision: Sendable, Equatable {
        case delivered
        /// Try again at this time (ms since the epoch).
        case retry(at: Int64, error: String)
        case dead(error: String)
    }

    /// Decides after attempt number `attempt` (1 for the first) of a message queued at `queuedAt`.
    /// - Parameter jitter: a random number in [0, 1).
    public func decide(_ outcome: Outcome, attempt: Int, queuedAt: Int64, now: Int64, jitter: Double) -> Decision {
        let error: String
        switch outcome {
        case .status(let s) where (200..<300).contains(s):
            return .delivered
        case .status(410):
            return .dead(error: "HTTP 410 Gone: the endpoint refuses this message for good")
        case .status(let s):
            error = "HTTP \(s)"
        case .failed(let reason):
            error = reason
        }
        let next = now + backoffMillis(attempt: attempt, jitter: jitter)
        if Double(next - queuedAt) > giveUpAfterSeconds * 1000 {
            return .dead(error: "gave up after \(attempt) attempts over \(Self.duration(Double(now - queuedAt) / 1000)): \(error)")
        }
        return .retry(at: next, error: error)
    }

    /// The delay after attempt number `attempt` failed, in milliseconds.
    public func backoffMillis(attempt: Int, jitter: Double) -> Int64 {
        let exponent = Double(min(max(attempt - 1, 0), 40))
        let full = min(maxBackoffSeconds, initialBackoffSeconds * pow2(exponent))
        let j = min(max(jitter, 0), 1)
        return Int64((full / 2 + full / 2 * j) * 1000)
    }

    private func pow2(_ e: Double) -> Double {
        var r = 1.0
        for _ in 0..<Int(e) { r *= 2 }
        return r
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 120 { return "\(Int(seconds)) s" }
        if seconds < 7200 { return "\(Int(seconds / 60)) min" }
        return "\(Int(seconds / 3600)) h"
    }
}

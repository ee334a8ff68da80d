import CoalitionAlert
import Testing

@Suite struct DeliveryPolicyTests {
    let policy = DeliveryPolicy()

    @Test func a2xxIsDeliveredAndA410IsDeadAtOnce() {
        #expect(policy.decide(.status(204), attempt: 1, queuedAt: 0, now: 10, jitter: 0.5) == .delivered)
        guard case .dead(let why) = policy.decide(.status(410), attempt: 1, queuedAt: 0, now: 10, jitter: 0.5) else {
            Issue.record("410 should be dead")
            return
        }
        #expect(why.contains("410"))
    }

    @Test func failuresBackOffExponentiallyWithJitterUpToTheCap() {
        var previousFloor: Int64 = 0
        for attempt in 1...12 {
            let low = policy.backoffMillis(attempt: attempt, jitter: 0)
            let high = policy.backoffMillis(attempt: attempt, jitter: 0.999_999)
            #expect(low >= previousFloor, "never shorter than the attempt before")
            #expect(high <= Int64(policy.maxBackoffSeconds * 1000))
            #expect(high >= low && high <= 2 * low + 1, "half fixed, half random")
            previousFloor = low
        }
        #expect(policy.backoffMillis(attempt: 1, jitter: 0) == 500)
        #expect(policy.backoffMillis(attempt: 40, jitter: 0.999_999) <= 300_000)
    }

    @Test func aMessageIsDeadPastTheHorizonWithItsLastError() {
        var p = policy
        p.giveUpAfterSeconds = 120
        guard case .retry(let at, let error) = p.decide(.status(503), attempt: 3, queuedAt: 0, now: 60_000, jitter: 0) else {
            Issue.record("should retry within the horizon")
            return
        }
        #expect(at > 60_000 && error == "HTTP 503")
        guard case .dead(let why) = p.decide(.failed("connection refused"), attempt: 9, queuedAt: 0, now: 119_000, jitter: 0) else {
            Issue.record("should be dead past the horizon")
            return
        }
        #expect(why.contains("connection refused") && why.contains("9 attempts"))
    }
}

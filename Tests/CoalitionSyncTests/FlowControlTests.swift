import CoalitionCrypto
import Testing
@testable import CoalitionSync

@Suite struct FlowControlTests {
    @Test func aFullQueueSwitchesThePeerToDigestSync() {
        var b = OutboundBudget(limit: 1000)
        let first = b.admit(600)
        let second = b.admit(600)
        #expect(first)
        #expect(!second)
        #expect(b.needsDigestSync)
        b.overflowed(droppingQueued: 1)
        #expect(b.queued == 0)
        let blocked = b.admit(10)
        #expect(!blocked, "nothing is queued until the digest sync starts")
        b.digestSyncStarted()
        let resumed = b.admit(10)
        #expect(resumed)
        b.sent(10)
        #expect(b.queued == 0)
        #expect(b.dropped == 3)
    }

    @Test func backoffGrowsWithJitterUpToTheCapAndResets() {
        var b = Backoff(base: 0.5, cap: 8)
        var maxima: [Double] = []
        for _ in 0..<8 { maxima.append(b.nextDelay(random: 1)) }
        #expect(maxima == [0.5, 1, 2, 4, 8, 8, 8, 8])
        b.reset()
        let afterReset = b.nextDelay(random: 0)
        #expect(afterReset == 0.25)
        var c = Backoff(base: 0.5, cap: 8)
        for _ in 0..<5 { _ = c.nextDelay(random: 0.5) }
        let d = c.nextDelay(random: 0)
        #expect(d >= 0.25 && d <= 8)
    }

    @Test func quotaGrantsTheBurstThenTheRefillRate() {
        let author = Signer().publicKey
        var q = IngestQuota(entriesPerMinute: 600, burst: 100)
        let g1 = q.admit(80, author: author, now: 0)
        let g2 = q.admit(80, author: author, now: 0)
        #expect(g1 == 80)
        #expect(g2 == 20)
        #expect(q.deferred[author] == 60)
        let g3 = q.admit(50, author: author, now: 2)
        #expect(g3 == 20, "10 a second for 2 seconds")
        let g4 = q.admit(1_000, author: author, now: 1_000)
        #expect(g4 == 100, "never more than the burst")
        let g5 = q.admit(5, author: Signer().publicKey, now: 1_000)
        #expect(g5 == 5, "authors have separate buckets")
        #expect(q.totalDeferred == 60 + 30 + 900)
    }
}

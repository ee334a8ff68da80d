@testable import CoalitionGossip
import Testing

@Suite struct CommitHandoffTests {
    @Test func theCommitterTakesEverythingWaitingInOrder() async {
        let handoff = CommitHandoff<Int>(capacity: 8)
        for n in 1...5 { #expect(await handoff.push(n)) }
        #expect(await handoff.takeAll() == [1, 2, 3, 4, 5])
        #expect(await handoff.push(6))
        handoff.finishInput()
        #expect(await handoff.takeAll() == [6], "what was pushed before the input finished is still handed over")
        #expect(await handoff.takeAll() == nil)
    }

    @Test func theReaderWaitsWhileTheQueueIsFull() async throws {
        let handoff = CommitHandoff<Int>(capacity: 2)
        #expect(await handoff.push(1))
        #expect(await handoff.push(2))
        let third = Task { await handoff.push(3) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await handoff.takeAll() == [1, 2])
        #expect(await third.value)
        #expect(await handoff.takeAll() == [3])
    }

    @Test func aWaitingCommitterWakesForTheNextBatch() async throws {
        let handoff = CommitHandoff<Int>(capacity: 2)
        let taker = Task { await handoff.takeAll() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(await handoff.push(7))
        #expect(await taker.value == [7])
    }

    @Test func closingDropsBatchesAndReleasesTheReader() async throws {
        let handoff = CommitHandoff<Int>(capacity: 1)
        #expect(await handoff.push(1))
        let blocked = Task { await handoff.push(2) }
        try await Task.sleep(for: .milliseconds(50))
        handoff.close()
        #expect(await blocked.value == false, "a reader waiting on a stopped committer is released")
        #expect(await handoff.push(3) == false)
        #expect(await handoff.takeAll() == nil)
    }

    @Test func cancellationEndsBothSides() async throws {
        let handoff = CommitHandoff<Int>(capacity: 1)
        let taker = Task { await handoff.takeAll() }
        try await Task.sleep(for: .milliseconds(50))
        taker.cancel()
        #expect(await taker.value == nil)
        #expect(await handoff.push(1) == false, "a cancelled side closes the handoff")
    }
}

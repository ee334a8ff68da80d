import CoalitionCrypto
@testable import CoalitionGossip
import CoalitionSync
import Testing

@Suite struct OutboundQueueTests {
    static let author = try! Signer(seed: [UInt8](repeating: 9, count: 32)).publicKey

    func entries(_ seqs: ClosedRange<UInt64>, size: Int = 1000) -> [(author: PublicKey, seq: UInt64, bytes: [UInt8])] {
        seqs.map { (Self.author, $0, [UInt8](repeating: UInt8($0 % 256), count: size)) }
    }

    @Test func aSlowPeerFallsBackToDigestSyncInsteadOfGrowingItsQueue() {
        let q = OutboundQueue(limit: 10_000)
        #expect(!q.push(entries(1...9)))
        #expect(q.push(entries(10...20)), "the 11th kilobyte overflows")
        guard case .digestSync? = q.next(maxPushBytes: 1 << 20) else {
            Issue.record("expected a digest sync after the overflow")
            return
        }
        #expect(q.next(maxPushBytes: 1 << 20) == nil, "the queued pushes were dropped")
        #expect(q.dropped > 0)
        // Afterwards pushes queue again, batched up to the frame budget.
        #expect(!q.push(entries(21...23)))
        guard case .pushes(let batch)? = q.next(maxPushBytes: 2_100) else {
            Issue.record("expected pushes")
            return
        }
        #expect(batch.count == 2)
    }

    @Test func pushesSkipWhatThePeerHoldsAndWidenARunningSyncRange() {
        let q = OutboundQueue(limit: 1 << 20)
        q.noteHeld([Self.author: 5])
        q.push(entries(3...6))
        guard case .pushes(let batch)? = q.next(maxPushBytes: 1 << 20) else {
            Issue.record("expected pushes")
            return
        }
        #expect(batch.count == 1, "only seq 6 may be missing at the peer")
        q.addRanges([SendRange(author: Self.author, from: 7, to: 10)])
        q.push(entries(11...12))
        guard case .sync(let range)? = q.next(maxPushBytes: 1 << 20) else {
            Issue.record("expected the sync range")
            return
        }
        #expect(range.from == 7 && range.to == 12, "pushes behind a sync range widen it instead of jumping ahead")
        #expect(q.next(maxPushBytes: 1 << 20) == nil)
    }
}

extension OutboundQueue.Work: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.digestSync, .digestSync): true
        case (.message(let x), .message(let y)): x == y
        case (.pushes(let x), .pushes(let y)): x == y
        case (.sync(let x), .sync(let y)): x == y
        default: false
        }
    }
}

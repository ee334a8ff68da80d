import CoalitionCore
import CoalitionCrypto
@testable import CoalitionIngest
import CoalitionStore
import Dispatch
import Foundation
import Synchronization
import Testing

/// The producer hands batches over in order and never runs more than its lookahead ahead of
/// the committer; stopping it early prepares nothing more.
@Suite("Batch producer")
struct BatchProducerTests {
    /// Batch `k` holds `k + 1` copies of one entry, so that the batch taken tells which it was.
    static func batches() throws -> @Sendable (Int) -> EntryStore.PreparedBatch {
        let signer = try Signer(seed: [UInt8](repeating: 9, count: 32))
        let entry = try Entry.sign(by: signer, seq: 1, prev: .zero, timestamp: 0,
                                   body: .publish(try Signal(kind: .md5, value: String(repeating: "a", count: 32), category: "violence")))
        let one = try EntryStore(database: .inMemory(), reader: nil).prepare([entry])
        return { k in EntryStore.PreparedBatch(joining: Array(repeating: one, count: k + 1)) }
    }

    @Test("batches arrive in order, at most `lookahead` prepared ahead of the committer", arguments: [1, 2, 3])
    func orderAndBound(lookahead: Int) throws {
        let make = try Self.batches()
        let prepared = Atomic<Int>(0)
        let producer = BatchProducer(count: 8, lookahead: lookahead) { k in
            prepared.add(1, ordering: .relaxed)
            return make(k)
        }
        defer { producer.stop() }
        for k in 0..<8 {
            // Give the producer time to run as far ahead as it may.
            usleep(20_000)
            #expect(prepared.load(ordering: .relaxed) <= k + lookahead)
            #expect(producer.take(k).count == k + 1)
        }
        #expect(prepared.load(ordering: .relaxed) == 8)
    }

    @Test("stopping after a few batches prepares no more than the lookahead beyond them")
    func stopsEarly() throws {
        let make = try Self.batches()
        let prepared = Atomic<Int>(0)
        let producer = BatchProducer(count: 100, lookahead: 2) { k in
            prepared.add(1, ordering: .relaxed)
            return make(k)
        }
        #expect(producer.take(0).count == 1)
        #expect(producer.take(1).count == 2)
        usleep(20_000)
        producer.stop()
        let after = prepared.load(ordering: .relaxed)
        #expect(after >= 2 && after <= 4)
        usleep(20_000)
        #expect(prepared.load(ordering: .relaxed) == after)
    }
}

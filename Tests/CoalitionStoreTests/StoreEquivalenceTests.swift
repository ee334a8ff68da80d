import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import CoalitionTestSupport
import Foundation
import Testing

/// The SQLite store must reach exactly the state of the pure in-memory replica, whatever the
/// order and batching of delivery.
@Suite("Store ≡ replica")
struct StoreEquivalenceTests {
    @Test("random entry sets in random batches give the replica's digest", arguments: Array(UInt64(100)...UInt64(115)))
    func storeMatchesReplica(seed: UInt64) throws {
        var gen = EntrySetGenerator(seed: seed)
        let set = gen.generate()
        var replica = Replica(reader: gen.reader)
        for e in set.valid { replica.receive(e) }

        var rng = SeededRandom(seed: seed)
        let store = EntryStore(database: try AppDatabase.inMemory(), reader: gen.reader)
        var delivery = set.all + set.valid.prefix(5)
        delivery.shuffle(using: &rng)
        var i = 0
        var rejected = 0
        while i < delivery.count {
            let n = Int.random(in: 1...8, using: &rng)
            let report = try store.ingest(Array(delivery[i..<min(i + n, delivery.count)]))
            rejected += report.rejected.count + report.discarded
            i += n
        }
        #expect(rejected == set.invalid.count)
        let stats = try store.statistics()
        #expect(stats.entries == set.valid.count)
        #expect(stats.pending == 0)
        #expect(try store.stateDigest() == replica.state.digest())
    }
}

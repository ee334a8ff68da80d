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
        var run = RandomDelivery(seed: seed)
        let store = EntryStore(database: try AppDatabase.inMemory(), reader: run.generator.reader)
        let refused = try run.deliver { try store.ingest($0) }
        #expect(refused == run.set.invalid.count)
        let stats = try store.statistics()
        #expect(stats.entries == run.set.valid.count)
        #expect(stats.pending == 0)
        #expect(try store.stateDigest() == run.expectedDigest)
    }
}

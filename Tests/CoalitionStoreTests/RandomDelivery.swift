import CoalitionCore
import CoalitionStore
import CoalitionTestSupport

/// A seeded random entry set, the replica's state for it, and a shuffled delivery (all entries,
/// invalid ones included, plus a few duplicates) that a store test feeds in random batches.
struct RandomDelivery {
    let generator: EntrySetGenerator
    let set: EntrySetGenerator.Output
    let expectedDigest: [UInt8]
    private let delivery: [Entry]
    private var rng: SeededRandom

    init(seed: UInt64) {
        var gen = EntrySetGenerator(seed: seed)
        set = gen.generate()
        generator = gen
        var replica = Replica(reader: gen.reader)
        for e in set.valid { replica.receive(e) }
        expectedDigest = replica.state.digest()
        rng = SeededRandom(seed: seed)
        var d = set.all + set.valid.prefix(5)
        d.shuffle(using: &rng)
        delivery = d
    }

    /// Feeds the delivery to `ingest` in batches of 1–8 entries. Returns how many entries were
    /// refused: rejected on arrival or discarded later from pending.
    mutating func deliver(_ ingest: ([Entry]) throws -> IngestReport) rethrows -> Int {
        var i = 0
        var refused = 0
        while i < delivery.count {
            let n = Int.random(in: 1...8, using: &rng)
            let report = try ingest(Array(delivery[i..<min(i + n, delivery.count)]))
            refused += report.rejected.count + report.discarded
            i += n
        }
        return refused
    }
}

@testable import CoalitionMatch
import CoalitionTestSupport
import Testing

@Suite struct SlotBucketsTests {
    /// Random inserts, removals and renumberings on a few crowded buckets give the same bucket
    /// contents as arrays, and freed regions are reused: buckets of at most 8 slots that empty
    /// and refill thousands of times never need more than one region of each size (1, 2, 4, 8).
    @Test func bucketsMatchPlainArraysThroughRandomChanges() {
        var rng = SeededRandom(seed: 11)
        var buckets = SlotBuckets(bucketCount: 16)
        var reference = [[UInt32]](repeating: [], count: 16)
        var next: UInt32 = 0
        for _ in 0..<20_000 {
            let b = Int(rng.next() % 16)
            switch reference[b].count >= 8 ? 2 : rng.next() % 3 {
            case 0:
                buckets.insert(next, into: b)
                reference[b].append(next)
                next += 1
            case 2:
                guard let victim = reference[b].randomElement(using: &rng) else { continue }
                let removed = buckets.remove(victim, from: b)
                #expect(removed)
                reference[b].removeAll { $0 == victim }
            default:
                guard let old = reference[b].randomElement(using: &rng) else { continue }
                buckets.renumber(old, to: next, in: b)
                reference[b] = reference[b].map { $0 == old ? next : $0 }
                next += 1
            }
            let removedMissing = buckets.remove(.max, from: b)
            #expect(!removedMissing)
        }
        for b in 0..<16 { #expect(Set(buckets.slots(in: b)) == Set(reference[b]) && buckets.slots(in: b).count == reference[b].count) }
        #expect(buckets.arena.count <= 16 * (1 + 2 + 4 + 8))
    }

    /// A bulk build puts every slot in its bucket, in slot order, in power-of-two regions.
    @Test func bulkBuildPlacesEverySlot() {
        let bucketOf: [UInt32] = [3, 0, 3, 3, 7, 0, 3, 3, 3]
        let buckets = SlotBuckets(bucketCount: 8, bucketOf: bucketOf)
        #expect(Array(buckets.slots(in: 3)) == [0, 2, 3, 6, 7, 8])
        #expect(Array(buckets.slots(in: 0)) == [1, 5])
        #expect(Array(buckets.slots(in: 7)) == [4])
        #expect(buckets.slots(in: 1).isEmpty)
        #expect(buckets.arena.count == 8 + 2 + 1)
        var grown = buckets
        grown.insert(9, into: 3)
        grown.insert(10, into: 3)
        #expect(Array(grown.slots(in: 3)) == [0, 2, 3, 6, 7, 8, 9, 10])
        grown.insert(11, into: 3)
        #expect(grown.slots(in: 3).count == 9)
        #expect(SlotBuckets.sizeClass(holding: 1) == 1 && SlotBuckets.sizeClass(holding: 2) == 2)
        #expect(SlotBuckets.sizeClass(holding: 5) == 4 && SlotBuckets.sizeClass(holding: 8) == 4)
    }
}

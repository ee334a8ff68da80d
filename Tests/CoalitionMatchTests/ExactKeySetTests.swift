import CoalitionMatch
import CoalitionTestSupport
import Testing

@Suite struct ExactKeySetTests {
    /// Through several doublings, every inserted key is found, no other key is, and inserting a
    /// key twice is reported and not counted.
    @Test func membershipEqualsASetThroughGrowth() {
        var rng = SeededRandom(seed: 5)
        var keys = ExactKeySet()
        var reference = Set<UInt64>()
        for i in 0..<50_000 {
            // Random keys, plus runs of sequential ones (which must not cluster badly).
            let k = i % 3 == 0 ? UInt64(i) : rng.next()
            let added = keys.insert(k)
            #expect(added == reference.insert(k).inserted)
        }
        let again = keys.insert(UInt64(3))
        #expect(!again)
        #expect(keys.count == reference.count)
        for k in reference { #expect(keys.contains(k)) }
        var absentFound = 0
        for _ in 0..<50_000 {
            let k = rng.next()
            if !reference.contains(k), keys.contains(k) { absentFound += 1 }
        }
        #expect(absentFound == 0)
        #expect(!keys.contains(UInt64.max) || reference.contains(.max))
    }
}

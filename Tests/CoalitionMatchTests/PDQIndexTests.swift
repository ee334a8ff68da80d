import CoalitionMatch
import CoalitionTestSupport
import Testing

@Suite struct PDQIndexTests {
    static func random(_ rng: inout SeededRandom) -> PDQHash {
        PDQHash(words: (rng.next(), rng.next(), rng.next(), rng.next()))
    }

    static func flip(_ h: PDQHash, bits: Int, _ rng: inout SeededRandom) -> PDQHash {
        var w = [h.words.0, h.words.1, h.words.2, h.words.3]
        var positions = Set<Int>()
        while positions.count < bits { positions.insert(Int(rng.next() % 256)) }
        for p in positions { w[p / 64] ^= 1 << UInt64(p % 64) }
        return PDQHash(words: (w[0], w[1], w[2], w[3]))
    }

    @Test func hexRoundTripsAndDistanceCountsBits() throws {
        let hex = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
        let h = try #require(PDQHash(hex: hex))
        #expect(h.hex == hex)
        #expect(PDQHash(hex: hex.uppercased()) == h)
        #expect(PDQHash(hex: String(hex.dropLast())) == nil)
        #expect(PDQHash(hex: String(hex.dropLast()) + "g") == nil)
        var rng = SeededRandom(seed: 1)
        for bits in [0, 1, 17, 31, 128, 256] {
            #expect(h.distance(to: Self.flip(h, bits: bits, &rng)) == bits)
        }
    }

    /// Random stored hashes with planted near-duplicates at distances 0 to 40; every search must
    /// return exactly what a scan of a plain dictionary returns, through inserts and removals.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func searchEqualsABruteForceScan(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var index = PDQIndex<Int>()
        var reference: [Int: PDQHash] = [:]
        var queries: [PDQHash] = []
        for key in 0..<2_000 {
            let base = Self.random(&rng)
            index.insert(base, for: key)
            reference[key] = base
            if key % 20 == 0 { queries.append(Self.flip(base, bits: Int(rng.next() % 41), &rng)) }
        }
        for _ in 0..<50 { queries.append(Self.random(&rng)) }
        // Remove and replace some, as retractions and re-publications would.
        for key in stride(from: 0, to: 2_000, by: 7) {
            index.remove(key)
            reference[key] = nil
        }
        for key in stride(from: 3, to: 2_000, by: 11) {
            let h = Self.random(&rng)
            index.insert(h, for: key)
            reference[key] = h
        }
        #expect(index.count == reference.count)
        for radius in [0, 10, 31, 40] {
            for q in queries {
                let got = Set(index.search(q, radius: radius).map(\.key))
                let expected = Set(reference.filter { $0.value.distance(to: q) <= radius }.keys)
                #expect(got == expected)
            }
        }
    }

    /// Multi-index hashing returns exactly what the linear scan returns, for every radius up to
    /// 64, through inserts, removals and replacements, with planted near-duplicates at 0–40 bits.
    @Test(arguments: [7, 8] as [UInt64])
    func multiIndexEqualsTheLinearScan(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var linear = PDQIndex<Int>()
        var multi = PDQMultiIndex<Int>()
        var queries: [PDQHash] = []
        for key in 0..<3_000 {
            // Some hashes share substrings with others, so buckets hold more than one slot.
            let h = key % 10 == 0 && key > 0 ? Self.flip(Self.random(&rng), bits: 3, &rng) : Self.random(&rng)
            linear.insert(h, for: key)
            multi.insert(h, for: key)
            if key % 25 == 0 { queries.append(Self.flip(h, bits: Int(rng.next() % 41), &rng)) }
        }
        for key in stride(from: 1, to: 3_000, by: 5) {
            linear.remove(key)
            multi.remove(key)
        }
        for key in stride(from: 2, to: 3_000, by: 9) {
            let h = Self.random(&rng)
            linear.insert(h, for: key)
            multi.insert(h, for: key)
        }
        #expect(multi.count == linear.count)
        for _ in 0..<20 { queries.append(Self.random(&rng)) }
        for radius in [0, 1, 15, 16, 31, 32, 40, 64] {
            for q in queries {
                let a = multi.search(q, radius: radius)
                let b = linear.search(q, radius: radius)
                #expect(Set(a.map(\.key)) == Set(b.map(\.key)), "radius \(radius)")
                #expect(a.map(\.distance) == b.map(\.distance))
            }
        }
    }
}

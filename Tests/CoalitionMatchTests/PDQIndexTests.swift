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
    /// The index starts empty at the smallest layout and regrows it twice on the way to 70,000
    /// hashes, so searches run on several layouts.
    @Test(arguments: [7, 8] as [UInt64])
    func multiIndexEqualsTheLinearScan(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var linear = PDQIndex<Int>()
        var multi = PDQMultiIndex<Int>()
        var stored: [Int: PDQHash] = [:]
        var queries: [PDQHash] = []
        let n = seed == 7 ? 70_000 : 3_000
        for key in 0..<n {
            // Some hashes share substrings with others, so buckets hold more than one slot.
            let h = key % 10 == 0 && key > 0 ? Self.flip(stored[key - 1]!, bits: 3, &rng) : Self.random(&rng)
            linear.insert(h, for: key)
            multi.insert(h, for: key)
            stored[key] = h
            if key % (n / 120) == 0 { queries.append(Self.flip(h, bits: Int(rng.next() % 41), &rng)) }
        }
        #expect(multi.layout.bits > SubstringLayout.minBits || n < 4 * (1 << SubstringLayout.minBits))
        // Inserting a stored pair again changes nothing.
        multi.insert(stored[0]!, for: 0)
        #expect(multi.count == n)
        for key in stride(from: 1, to: n, by: 5) {
            linear.remove(key)
            let removed = multi.remove(stored[key]!, for: key)
            let removedAgain = multi.remove(stored[key]!, for: key)
            #expect(removed && !removedAgain)
            stored[key] = nil
        }
        for key in stride(from: 2, to: n, by: 9) {
            let h = Self.random(&rng)
            linear.insert(h, for: key)
            if let old = stored[key] { multi.remove(old, for: key) }
            multi.insert(h, for: key)
            stored[key] = h
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
        // A bulk-built index over the same pairs answers the same.
        let pairs = stored.sorted { $0.key < $1.key }
        let bulk = PDQMultiIndex(hashes: pairs.map(\.value), keys: pairs.map(\.key))
        for q in queries {
            #expect(Set(bulk.search(q, radius: 31).map(\.key)) == Set(linear.search(q, radius: 31).map(\.key)))
        }
    }

    /// The layout: widths add up to 256, widest first, about log₂ N bits each, and the probe
    /// radii satisfy the pigeonhole bound: for every radius, any split of that many differing
    /// bits over the tables leaves some table within its probe radius.
    @Test func layoutCoversAllBitsAndEveryRadius() {
        for expected in [0, 1_000, 100_000, 1_000_000, 10_000_000, 100_000_000] {
            let layout = SubstringLayout(expectedCount: expected)
            #expect(layout.widths.reduce(0, +) == 256)
            #expect(layout.widths == layout.widths.sorted(by: >))
            #expect((SubstringLayout.minBits...SubstringLayout.maxBits).contains(layout.bits))
            for radius in 0...64 {
                // The worst split puts one more bit than the probe radius in every table.
                let worst = (0..<layout.tableCount).reduce(0) { $0 + layout.probeRadius(table: $1, radius: radius) + 1 }
                #expect(worst == radius + 1, "layout \(layout.bits), radius \(radius)")
            }
        }
        #expect(SubstringLayout(expectedCount: 10_000_000).widths == [22, 22, 22, 22] + Array(repeating: 21, count: 8))
        #expect(SubstringLayout(expectedCount: 1_000_000).tableCount == 12)
        // Substrings read the right bits, across word boundaries too.
        let h = PDQHash(words: (0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210, 0, .max))
        let layout = SubstringLayout(bits: 21)
        var bits = ""
        for t in 0..<layout.tableCount {
            let s = String(layout.substring(h, t), radix: 2)
            bits += String(repeating: "0", count: layout.widths[t] - s.count) + s
        }
        let expected = [h.words.0, h.words.1, h.words.2, h.words.3].map { w in
            let s = String(w, radix: 2)
            return String(repeating: "0", count: 64 - s.count) + s
        }.joined()
        #expect(bits == expected)
    }

    /// Masks come fewest bits first, each once, and exactly the values within the distance.
    @Test func masksEnumerateEveryValueWithinTheDistance() {
        for (width, bits) in [(8, 0), (8, 2), (12, 3), (21, 2)] {
            var masks: [Int] = []
            SubstringLayout.forEachMask(width: width, within: bits) { masks.append($0) }
            let expected = (0..<(1 << width)).filter { $0.nonzeroBitCount <= bits }
            #expect(Set(masks) == Set(expected))
            #expect(masks.count == expected.count)
            #expect(masks.map(\.nonzeroBitCount) == masks.map(\.nonzeroBitCount).sorted())
        }
    }
}

import CoalitionActions
import CoalitionCore
import CoalitionMatch
import CoalitionStore
import CoalitionTestSupport
import Testing

@Suite struct ContentBankTests {
    static func randomHash(_ rng: inout SplitMix64) -> PDQHash {
        PDQHash(words: (rng.next(), rng.next(), rng.next(), rng.next()))
    }

    static func flip(_ h: PDQHash, bits: Int, _ rng: inout SplitMix64) -> PDQHash {
        var w = [h.words.0, h.words.1, h.words.2, h.words.3]
        var flipped = Set<Int>()
        while flipped.count < bits { flipped.insert(Int(rng.next() % 256)) }
        for b in flipped { w[b / 64] ^= 1 << UInt64(b % 64) }
        return PDQHash(words: (w[0], w[1], w[2], w[3]))
    }

    @Test func pdqMatchesAreExactlyTheBruteForceOnesAndSurviveAReload() throws {
        let db = try AppDatabase.inMemory()
        let bank = ContentBank(store: ContentBankStore(database: db))
        var rng = SplitMix64(seed: 26)
        let query = Self.randomHash(&rng)
        var items: [ContentItem] = []
        var hashes: [String: PDQHash] = [:]
        for i in 0..<3000 {
            // A third near the query, at distances spread over 0…64.
            let h = i % 3 == 0 ? Self.flip(query, bits: i % 65, &rng) : Self.randomHash(&rng)
            items.append(ContentItem(contentId: "c\(i)", kind: "pdq", value: h.hex.uppercased()))
            hashes["c\(i)"] = h
        }
        #expect(try bank.register(items) == 3000)
        #expect(try bank.register(Array(items.prefix(10))) == 0, "registering again adds nothing")
        func expected(_ radius: Int, removed: Set<String> = []) -> [String] {
            hashes.filter { !removed.contains($0.key) && $0.value.distance(to: query) <= radius }.map(\.key).sorted()
        }
        let hits = try bank.matches(kind: .pdq, value: query.hex, radius: 31)
        #expect(hits.map(\.contentId) == expected(31))
        #expect(hits.allSatisfy { $0.distance == hashes[$0.contentId]!.distance(to: query) && $0.value == hashes[$0.contentId]!.hex })
        #expect(try bank.unregister(contentId: "c0") == 1)
        #expect(try bank.matches(kind: .pdq, value: query.hex, radius: 31).map(\.contentId) == expected(31, removed: ["c0"]))
        let reloaded = ContentBank(store: ContentBankStore(database: db))
        #expect(try reloaded.refresh() == 2999, "the removed item is no longer in the table")
        #expect(try reloaded.matches(kind: .pdq, value: query.hex, radius: 20).map(\.contentId) == expected(20, removed: ["c0"]))
        #expect(reloaded.pdqBytes <= 3000 * 48, "at most 48 bytes a PDQ item")
    }

    @Test func exactKindsMatchByCanonicalValue() throws {
        let bank = ContentBank(store: ContentBankStore(database: try AppDatabase.inMemory()))
        try bank.register([ContentItem(contentId: "video-9", kind: "url", value: "HTTPS://Example.com:443/watch?v=1#t"),
                           ContentItem(contentId: "video-9", kind: "md5", value: "D41D8CD98F00B204E9800998ECF8427E"),
                           ContentItem(contentId: "post-3", kind: "url", value: "https://example.com/watch?v=1")])
        #expect(try bank.matches(kind: .url, value: "https://example.com/watch?v=1", radius: 31).map(\.contentId) == ["post-3", "video-9"])
        #expect(try bank.matches(kind: .md5, value: "d41d8cd98f00b204e9800998ecf8427e", radius: 31).map(\.contentId) == ["video-9"])
        #expect(try bank.unregister(contentId: "video-9", kind: "url", value: "https://EXAMPLE.com/watch?v=1") == 1)
        #expect(try bank.matches(kind: .url, value: "https://example.com/watch?v=1", radius: 31).map(\.contentId) == ["post-3"])
    }

    @Test(arguments: [
        ("contentId", ContentItem(contentId: "", kind: "pdq", value: String(repeating: "a", count: 64))),
        ("kind", ContentItem(contentId: "x", kind: "vpdq", value: "whatever")),
        ("value", ContentItem(contentId: "x", kind: "pdq", value: "not hex")),
        ("value", ContentItem(contentId: "x", kind: "url", value: "ftp://example.com/")),
    ])
    func aBadItemIsRefusedWithItsFieldAndNothingIsRegistered(field: String, bad: ContentItem) throws {
        let bank = ContentBank(store: ContentBankStore(database: try AppDatabase.inMemory()))
        let good = ContentItem(contentId: "ok", kind: "md5", value: "d41d8cd98f00b204e9800998ecf8427e")
        let error = try #require(throws: CoalitionError.self) { try bank.register([good, bad]) }
        #expect(error.field == field && error.message.contains("item 1"), "\(error)")
        #expect(try bank.store.counts().isEmpty)
    }
}

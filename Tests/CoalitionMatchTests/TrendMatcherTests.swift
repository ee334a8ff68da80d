import CoalitionMatch
import CoalitionTestSupport
import Testing

@Suite struct TrendMatcherTests {
    static let matcher: TrendMatcher<String> = {
        var m = TrendMatcher<String>()
        for term in ["#blackoutchallenge", "tide pod challenge", "skull breaker", "café challenge", "#挑战", "🔥 challenge", "don't breathe"] {
            m.add(term, term)
        }
        return m
    }()

    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let expected: [String]
        var testDescription: String { text }
    }

    static let cases: [Case] = [
        Case(text: "Try the #BlackoutChallenge tonight", expected: ["#blackoutchallenge"]),
        Case(text: "the blackoutchallenge is back", expected: ["#blackoutchallenge"]),
        Case(text: "#blackoutchallenges are fake", expected: []),  // word boundary: a longer tag
        Case(text: "TIDE   POD\nchallenge!!", expected: ["tide pod challenge"]),
        Case(text: "#TidePodChallenge 😂", expected: ["tide pod challenge"]),
        Case(text: "tide-pod challenge", expected: ["tide pod challenge"]),
        Case(text: "the skullbreaker trend", expected: []),
        Case(text: "Skull Breaker, again", expected: ["skull breaker"]),
        Case(text: "CAFÉ challenge", expected: ["café challenge"]),
        Case(text: "cafe challenge", expected: ["café challenge"]),  // diacritics fold
        Case(text: "今天的#挑战", expected: ["#挑战"]),
        Case(text: "🔥 CHALLENGE", expected: ["🔥 challenge"]),
        Case(text: "🔥️ challenge", expected: ["🔥 challenge"]),  // with a variation selector
        Case(text: "Don’t breathe", expected: ["don't breathe"]),  // typographic apostrophe
        Case(text: "nothing to see", expected: []),
        Case(text: "", expected: []),
        Case(text: "#BlackoutChallenge and skull breaker", expected: ["#blackoutchallenge", "skull breaker"]),
    ]

    @Test(arguments: cases)
    func matches(_ c: Case) {
        #expect(Self.matcher.matches(in: c.text).map(\.payload) == c.expected)
    }

    @Test func tokensKeepHashtagsAndSplitOnPunctuation() {
        #expect(TextFolding.tokens("Hello, #World! Ça va?") == ["hello", "#world", "ca", "va"])
        #expect(TextFolding.tokens("a#b") == ["a", "#b"])
        #expect(TextFolding.tokens("## x") == ["x"])
    }
}

/// The automaton against the definition: every term's token sequences (with the hashtag and
/// run-together forms) looked for at every position of the text, one term at a time.
@Suite struct TrendMatcherEquivalenceTests {
    private func below(_ rng: inout SeededRandom, _ n: Int) -> Int { Int.random(in: 0..<n, using: &rng) }

    static func naive(_ terms: [(String, Int)], _ text: String) -> [(payload: Int, matched: String)] {
        let tokens = TextFolding.tokens(text)
        var found: [(start: Int, length: Int, order: Int, payload: Int, matched: String)] = []
        for (order, (term, payload)) in terms.enumerated() {
            let t = TextFolding.tokens(term)
            guard !t.isEmpty else { continue }
            var forms = [t]
            if t.count == 1, t[0].hasPrefix("#"), t[0].count > 1 { forms.append([String(t[0].dropFirst())]) }
            if t.count > 1, !t.contains(where: { $0.hasPrefix("#") }) { forms.append(["#" + t.joined()]) }
            for form in forms where form.count <= tokens.count {
                for start in 0...(tokens.count - form.count) where Array(tokens[start..<start + form.count]) == form {
                    found.append((start, form.count, order, payload, form.joined(separator: " ")))
                }
            }
        }
        found.sort { ($0.start, $0.length, $0.order) < ($1.start, $1.length, $1.order) }
        return found.map { ($0.payload, $0.matched) }
    }

    @Test("equals a per-term scan on random vocabularies, terms and texts", arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func equalsNaive(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let words = ["a", "b", "ab", "ba", "#a", "#ab", "#ba", "c", "ça", "ca", "🔥", "x"]
        var terms: [(String, Int)] = []
        for i in 0..<(5 + below(&rng, 40)) {
            let n = 1 + below(&rng, 4)
            terms.append(((0..<n).map { _ in words[below(&rng, words.count)] }.joined(separator: " "), i))
        }
        let matcher = TrendMatcher(terms: terms.map { ($0.0, $0.1) })
        for _ in 0..<30 {
            let text = (0..<below(&rng, 30)).map { _ in words[below(&rng, words.count)] }.joined(separator: [" ", ", ", "  "][below(&rng, 3)])
            let got = matcher.matches(in: text)
            let want = Self.naive(terms, text)
            #expect(got.map(\.payload) == want.map(\.payload), "text: \(text)")
            #expect(got.map(\.matched) == want.map(\.matched), "text: \(text)")
        }
    }

    @Test("terms added one by one match like terms built at once")
    func incrementalEqualsBatch() {
        let terms = [("tide pod challenge", 1), ("pod", 2), ("#podchallenge", 3), ("challenge accepted", 4), ("pod challenge", 5)]
        var one = TrendMatcher<Int>()
        for (t, p) in terms { one.add(t, p) }
        let batch = TrendMatcher(terms: terms)
        let text = "the TIDE POD challenge accepted, #PodChallenge and podchallenge"
        #expect(one.matches(in: text).map(\.payload) == batch.matches(in: text).map(\.payload))
        #expect(batch.matches(in: text).map(\.payload) == Self.naive(terms, text).map(\.payload))
        #expect(!batch.matches(in: text).isEmpty)
    }
}

import CoalitionMatch
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

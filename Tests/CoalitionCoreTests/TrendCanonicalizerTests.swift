import Testing
@testable import CoalitionCore

// Table-driven tests for TrendCanonicalizer, plus the garbage-input test for
// both canonicalisers. Expected values are compared as UTF-8 bytes: String ==
// treats canonically equivalent strings as equal and would hide NFC mistakes.

private func canonicalTrend(_ input: String) -> Result<String, CanonicalizationFailure> {
    Result { () throws(CanonicalizationFailure) -> String in try TrendCanonicalizer.canonicalize(input) }
}

/// (input, expected canonical form)
private let acceptedTrends: [(String, String)] = [
    ("TidePodChallenge", "tidepodchallenge"),
    ("  Blackout   Challenge  ", "blackout challenge"),
    ("blackout\tchallenge\n", "blackout challenge"),
    ("blackout\r\n\u{B}\u{C}challenge", "blackout challenge"),
    ("a\u{3000}b\u{A0}\u{2003}c\u{85}d\u{2028}e", "a b c d e"),
    ("#BlackoutChallenge", "#blackoutchallenge"),
    ("  #Skull_Breaker ", "#skull_breaker"),
    ("##double", "##double"),
    ("#a", "#a"),
    ("#2024", "#2024"),
    ("foo #bar", "foo #bar"),
    ("Challenge 2024!", "challenge 2024!"),
    // NFC: decomposed and precomposed input give the same bytes.
    ("Cafe\u{301} Challenge", "caf\u{E9} challenge"),
    ("CAF\u{C9}", "caf\u{E9}"),
    ("\u{212B}ngstr\u{F6}m", "\u{E5}ngstr\u{F6}m"), // ANGSTROM SIGN is NFC-equivalent to Å
    ("D\u{E9}fi de la Cannelle", "d\u{E9}fi de la cannelle"),
    // Lowercasing of İ gives i + U+0307; the second NFC puts the marks back in canonical order.
    ("\u{130}\u{316}", "i\u{316}\u{307}"),
    // Turkish: default (not Turkish-tailored) mapping.
    ("\u{130}STANBUL", "i\u{307}stanbul"),
    ("KIZ \u{131}\u{15F}\u{131}k", "kiz \u{131}\u{15F}\u{131}k"),
    // German: lowercase is not case folding; ß stays, capital ẞ becomes ß.
    ("STRASSE", "strasse"),
    ("Stra\u{DF}e", "stra\u{DF}e"),
    ("\u{1E9E}", "\u{DF}"),
    // Greek: Final_Sigma applies to capital sigma at the end of a word.
    ("\u{39F}\u{394}\u{39F}\u{3A3} \u{39A}\u{391}\u{399}", "\u{3BF}\u{3B4}\u{3BF}\u{3C2} \u{3BA}\u{3B1}\u{3B9}"),
    ("\u{3A3}\u{391}\u{3A3}", "\u{3C3}\u{3B1}\u{3C2}"),
    ("\u{3A3}", "\u{3C3}"),
    ("\u{391}\u{3A3}'", "\u{3B1}\u{3C2}'"),
    ("\u{3BF}\u{3B4}\u{3BF}\u{3C2}", "\u{3BF}\u{3B4}\u{3BF}\u{3C2}"),
    // Titlecase digraph and other scripts.
    ("\u{1C5}", "\u{1C6}"),
    ("\u{41F}\u{420}\u{410}\u{412}\u{414}\u{410}", "\u{43F}\u{440}\u{430}\u{432}\u{434}\u{430}"),
    ("中文 挑战", "中文 挑战"),
    ("\u{FF21}\u{FF22}", "\u{FF41}\u{FF42}"), // fullwidth letters are lowercased, not narrowed
    // Emoji are preserved, including ZWJ sequences and variation selectors.
    ("#\u{1F525}FireChallenge\u{1F525}", "#\u{1F525}firechallenge\u{1F525}"),
    ("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} Family Challenge", "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} family challenge"),
    ("I \u{2764}\u{FE0F} Trends", "i \u{2764}\u{FE0F} trends"),
    // Length limit is on the canonical form.
    (String(repeating: "A", count: 256), String(repeating: "a", count: 256)),
    (String(repeating: "\u{C9}", count: 128), String(repeating: "\u{E9}", count: 128)),
    ("  " + String(repeating: "a", count: 256) + "  ", String(repeating: "a", count: 256)),
]

/// (input, a fragment of the expected failure reason)
private let rejectedTrends: [(String, String)] = [
    ("", "empty"),
    ("   ", "empty"),
    ("\u{3000}\n\t", "empty"),
    ("#", "no text"),
    ("  #  ", "no text"),
    ("# challenge", "followed by whitespace"),
    ("#\u{3000}challenge", "followed by whitespace"),
    ("#tide pod", "may not contain spaces"),
    ("#tide\tpod", "may not contain spaces"),
    ("\u{1F525}\u{1F525}\u{1F525}", "no letter or digit"),
    ("#\u{1F525}", "no letter or digit"),
    ("!!!", "no letter or digit"),
    ("##", "no letter or digit"),
    ("tide\u{0}pod", "control"),
    ("tide\u{7}pod", "control"),
    ("a\u{1F}", "control"),
    ("a\u{7F}", "control"),
    ("a\u{9B}b", "control"),
    (String(repeating: "a", count: 257), "longer than 256"),
    (String(repeating: "\u{E9}", count: 129), "longer than 256"),
    (String(repeating: "e\u{301}", count: 129), "longer than 256"),
]

@Suite("Trend canonicaliser")
struct TrendCanonicalizerTests {
    @Test("Accepted trends canonicalise to the expected bytes", arguments: acceptedTrends)
    func trendAccepted(input: String, expected: String) {
        switch canonicalTrend(input) {
        case .success(let output):
            #expect(Array(output.unicodeScalars) == Array(expected.unicodeScalars), "got \(output.debugDescription)")
        case .failure(let failure):
            Issue.record("rejected: \(failure.reason)")
        }
    }

    @Test("Canonical trends are fixed points", arguments: acceptedTrends.map(\.1))
    func trendIdempotent(canonical: String) {
        let again = canonicalTrend(canonical)
        #expect((try? again.get()).map { Array($0.utf8) } == Array(canonical.utf8))
    }

    @Test("Rejected trends fail with a reason", arguments: rejectedTrends)
    func trendRejected(input: String, reasonFragment: String) {
        switch canonicalTrend(input) {
        case .success(let output):
            Issue.record("accepted as \(output.debugDescription)")
        case .failure(let failure):
            #expect(failure.reason.contains(reasonFragment), "reason was: \(failure.reason)")
        }
    }

    @Test func nfcWorksOnThisPlatform() {
        #expect(Array(CanonicalText.nfc("e\u{301}").unicodeScalars) == ["\u{E9}"])
        // Hangul syllable composition and a Unicode 16.0 composition (Kirat Rai AI).
        #expect(Array(CanonicalText.nfc("\u{1100}\u{1161}\u{11A8}").unicodeScalars) == ["\u{AC01}"])
        #expect(Array(CanonicalText.nfc("\u{16D67}\u{16D67}").unicodeScalars) == ["\u{16D68}"])
    }
}

// MARK: - Garbage input

/// Random strings mixing URL syntax, ASCII, controls, whitespace, combining
/// marks, cased letters, emoji and arbitrary scalars from the whole code space.
private func garbageStrings(count: Int, seed: UInt64) -> [String] {
    var rng = SplitMix64(seed: seed)
    let fragments = ["http://", "https://", "HTTP://", "//", ":", "@", "[", "]", "%", "%2e", "%C3%BC", "%ff", "/../",
                     "/./", "?", "#", ".", "xn--", "\\", "#", " ", "\u{3A3}", "\u{130}", "\u{301}", "\u{316}", "\u{200D}"]
    func randomScalar() -> Unicode.Scalar {
        while true {
            let value: UInt32
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: value = UInt32.random(in: 0..<0x80, using: &rng)
            case 1: value = UInt32.random(in: 0x80..<0x800, using: &rng)
            case 2: value = UInt32.random(in: 0x2000..<0x3100, using: &rng)
            case 3: value = UInt32.random(in: 0x1F300..<0x1FAFF, using: &rng)
            default: value = UInt32.random(in: 0..<0x110000, using: &rng)
            }
            if let scalar = Unicode.Scalar(value) { return scalar }
        }
    }
    let starts = ["", "", "http://example.com/", "HTTPS://Ex.COM:8080", "http://", "http://m\u{FC}nchen.de"]
    return (0..<count).map { _ in
        var text = starts.randomElement(using: &rng) ?? ""
        for _ in 0..<Int.random(in: 0..<40, using: &rng) {
            if Bool.random(using: &rng), let fragment = fragments.randomElement(using: &rng) {
                text += fragment
            } else {
                text.unicodeScalars.append(randomScalar())
            }
        }
        return text
    }
}

@Suite("Canonicaliser robustness")
struct CanonicalizerRobustnessTests {
    @Test func garbageNeverCrashesAndOutputIsStable() {
        var accepted = (url: 0, trend: 0)
        for input in garbageStrings(count: 4000, seed: 0xC0A1_1710) {
            if let url = try? URLCanonicalizer.canonicalize(input) {
                accepted.url += 1
                // What every node checks on receipt: printable ASCII http(s) URL of at most 2048 bytes.
                #expect(url.hasPrefix("http://") || url.hasPrefix("https://"))
                #expect(url.utf8.count <= 2048 && url.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F })
                #expect((try? URLCanonicalizer.canonicalize(url)).map { Array($0.utf8) } == Array(url.utf8), "\(input.debugDescription)")
            }
            if let trend = try? TrendCanonicalizer.canonicalize(input) {
                accepted.trend += 1
                #expect((1...256).contains(trend.utf8.count))
                #expect(!trend.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
                #expect((try? TrendCanonicalizer.canonicalize(trend)).map { Array($0.utf8) } == Array(trend.utf8), "\(input.debugDescription)")
            }
        }
        // The generator is meant to exercise the accepting paths too.
        #expect(accepted.url > 100)
        #expect(accepted.trend > 100)
    }
}

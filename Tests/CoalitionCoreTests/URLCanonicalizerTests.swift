import Testing
@testable import CoalitionCore

// Table-driven tests for URLCanonicalizer and Punycode. Expected values are
// compared as UTF-8 bytes, never with String ==, which ignores normalisation.

private func canonicalURL(_ input: String) -> Result<String, CanonicalizationFailure> {
    Result { () throws(CanonicalizationFailure) -> String in try URLCanonicalizer.canonicalize(input) }
}

/// (input, expected canonical form)
private let acceptedURLs: [(String, String)] = [
    // Scheme and host case folding; empty path.
    ("HTTP://EXAMPLE.COM/", "http://example.com/"),
    ("HtTpS://ExAmPlE.cOm", "https://example.com/"),
    ("http://Example.COM/Path/To/Page", "http://example.com/Path/To/Page"),
    ("http://example.com", "http://example.com/"),
    // Ports.
    ("http://example.com:80/", "http://example.com/"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:443/", "http://example.com:443/"),
    ("https://example.com:80/", "https://example.com:80/"),
    ("http://example.com:8080/x", "http://example.com:8080/x"),
    ("http://example.com:0080/", "http://example.com/"),
    ("https://example.com:08443/", "https://example.com:8443/"),
    ("http://example.com:0/", "http://example.com:0/"),
    ("http://example.com:000/", "http://example.com:0/"),
    ("http://example.com:65535/", "http://example.com:65535/"),
    ("http://example.com:/", "http://example.com/"),
    ("http://example.com:0000000000000000443/", "http://example.com:443/"),
    // Userinfo and fragment are dropped.
    ("http://user:pass@example.com/", "http://example.com/"),
    ("http://user@example.com:8080/", "http://example.com:8080/"),
    ("http://a@b@example.com/", "http://example.com/"),
    ("http://@example.com/", "http://example.com/"),
    ("http://example.com/page#section", "http://example.com/page"),
    ("http://example.com/#", "http://example.com/"),
    ("http://example.com/a?#frag", "http://example.com/a"),
    ("http://example.com#frag?x=1", "http://example.com/"),
    // Dot segments (RFC 3986 §5.2.4), after percent-decoding of unreserved bytes.
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/../../a", "http://example.com/a"),
    ("http://example.com/a/b/..", "http://example.com/a/"),
    ("http://example.com/a/b/.", "http://example.com/a/b/"),
    ("http://example.com/a/%2E%2E/b", "http://example.com/b"),
    ("http://example.com/%2e/", "http://example.com/"),
    ("http://example.com/a/..b/.../c", "http://example.com/a/..b/.../c"),
    ("http://example.com/a/..%2Fb", "http://example.com/a/..%2Fb"),
    ("http://example.com//double//slash", "http://example.com//double//slash"),
    ("http://example.com/a?x=/../y", "http://example.com/a?x=/../y"),
    // Percent-encoding normalisation.
    ("http://example.com/%7Euser/%41%42%2d%5f%2E", "http://example.com/~user/AB-_."),
    ("http://example.com/a%2fb%3a%c3%a9", "http://example.com/a%2Fb%3A%C3%A9"),
    ("http://example.com/a b", "http://example.com/a%20b"),
    ("http://example.com/?q=a b+c", "http://example.com/?q=a%20b+c"),
    ("http://example.com/100%", "http://example.com/100%25"),
    ("http://example.com/%zz%4", "http://example.com/%25zz%254"),
    ("http://example.com/caf\u{E9}", "http://example.com/caf%C3%A9"),
    ("http://example.com/cafe\u{301}", "http://example.com/cafe%CC%81"),
    ("http://example.com/\u{1F600}", "http://example.com/%F0%9F%98%80"),
    ("http://example.com/a\\b", "http://example.com/a%5Cb"),
    ("http://example.com/\"<>^`{|}", "http://example.com/%22%3C%3E%5E%60%7B%7C%7D"),
    ("http://example.com/!$&'()*+,;=:@", "http://example.com/!$&'()*+,;=:@"),
    ("http://example.com/?a=[1]|{2}", "http://example.com/?a=%5B1%5D%7C%7B2%7D"),
    ("http://example.com/a?x=%2e%7e%2B%20", "http://example.com/a?x=.~%2B%20"),
    ("http://example.com/a?b?c/d:@", "http://example.com/a?b?c/d:@"),
    // Query: order kept, empty query dropped.
    ("http://example.com/?b=2&a=1&b=1", "http://example.com/?b=2&a=1&b=1"),
    ("http://example.com/path?", "http://example.com/path"),
    ("http://example.com/?", "http://example.com/"),
    ("http://example.com?x=1", "http://example.com/?x=1"),
    ("http://example.com/??", "http://example.com/??"),
    // Hosts.
    ("http://example.com./", "http://example.com/"),
    ("http://my_host.Example.com/", "http://my_host.example.com/"),
    ("http://192.168.0.1:80/", "http://192.168.0.1/"),
    ("http://0300.0250.0.1/", "http://0300.0250.0.1/"),
    ("http://ex%41mple.com/", "http://example.com/"),
    ("http://example.com%2E/", "http://example.com/"),
    ("http://[2001:DB8::1]/", "http://[2001:db8::1]/"),
    ("http://[::1]:8080/x", "http://[::1]:8080/x"),
    ("https://[::1]:443/", "https://[::1]/"),
    ("http://[::ffff:192.0.2.1]/", "http://[::ffff:192.0.2.1]/"),
    ("http://user@[::1]:/", "http://[::1]/"),
    // Internationalised hosts: NFC + lowercase + Punycode.
    ("http://münchen.de/", "http://xn--mnchen-3ya.de/"),
    ("https://BÜCHER.example/", "https://xn--bcher-kva.example/"),
    ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ("http://mu\u{308}nchen.de/", "http://xn--mnchen-3ya.de/"),
    ("http://m%C3%BCnchen.de/", "http://xn--mnchen-3ya.de/"),
    ("http://M%c3%9cNCHEN.DE./", "http://xn--mnchen-3ya.de/"),
    ("http://例え.テスト/", "http://xn--r8jz45g.xn--zckzah/"),
    ("http://i\u{2764}.ws/", "http://xn--i-7iq.ws/"),
    ("http://\u{41F}\u{420}\u{410}\u{412}\u{414}\u{410}.example/", "http://xn--80aafi6cg.example/"),
    ("http://\u{39F}\u{394}\u{39F}\u{3A3}.gr/", "http://xn--pxavbq.gr/"), // Σ → σ: no Final_Sigma in hosts
    ("http://\u{130}stanbul.example/", "http://xn--istanbul-o0e.example/"), // İ → i + U+0307
    ("http://\u{212A}ey.example/", "http://key.example/"), // KELVIN SIGN is NFC-equivalent to K
    ("http://xn--mnchen-3ya.de/", "http://xn--mnchen-3ya.de/"),
    // Labels are split on the code point ".", even when a combining mark follows it.
    ("http://a.\u{301}b.com/", "http://a.xn--b-wbb.com/"),
    ("http://a%2E\u{301}b.com/", "http://a.xn--b-wbb.com/"),
    // Surrounding ASCII whitespace is trimmed.
    ("  \thttp://example.com/ \r\n", "http://example.com/"),
]

/// (input, a fragment of the expected failure reason)
private let rejectedURLs: [(String, String)] = [
    ("ftp://example.com/", "not supported"),
    ("mailto:someone@example.com", "not supported"),
    ("javascript:alert(1)", "not supported"),
    ("example.com/path", "no scheme"),
    ("www.example.com:8080/", "no scheme"),
    ("localhost:8080", "no scheme"),
    ("//example.com/", "no scheme"),
    (":foo", "no scheme"),
    ("ht tp://example.com/", "no scheme"),
    ("http:example.com", "//"),
    ("http:/example.com", "//"),
    ("http:\\\\example.com", "//"),
    ("http://", "no host"),
    ("http:///path", "no host"),
    ("http://user@/", "no host"),
    ("http://:80/", "no host"),
    ("http://./", "no host"),
    ("http://?q", "no host"),
    ("http://example.com:abc/", "port"),
    ("http://example.com:-1/", "port"),
    ("http://example.com:+80/", "port"),
    ("http://example.com:8 0/", "port"),
    ("http://example.com:65536/", "65535"),
    ("http://example.com:99999999999999999999/", "65535"),
    ("http://example.com:80:80/", "port"),
    ("http://exa\u{0}mple.com/", "control"),
    ("http://example.com/a\u{7F}", "control"),
    ("http://example.com/\tx", "control"),
    ("http://example.com/\u{1B}[0m", "control"),
    ("", "empty"),
    ("   \t\n", "empty"),
    ("http://example.com/" + String(repeating: "a", count: 2030), "longer than 2048"),
    ("http://example.com/" + String(repeating: "\u{E9}", count: 700), "canonical URL is longer"),
    ("http://[::1/", "closing"),
    ("http://[::1]x/", "after the IPv6"),
    ("http://[zz::1]/", "IPv6"),
    ("http://[]/", "IPv6"),
    ("http://[1.2.3.4]/", "IPv6"),
    ("http://[fe80::1%25eth0]/", "IPv6"),
    ("http://exa mple.com/", "not allowed"),
    ("http://exa<mple.com/", "not allowed"),
    ("http://example.com%2F/", "not allowed"),
    ("http://ex%ZZ.com/", "hex digits"),
    ("http://ex%4.com/", "hex digits"),
    ("http://ex%FF.com/", "UTF-8"),
    ("http://ex%00.com/", "not allowed"),
    ("http://a..b/", "empty label"),
    ("http://.example.com/", "empty label"),
    ("http://example.com../", "empty label"),
    ("http://" + String(repeating: "a", count: 64) + ".com/", "63"),
    ("http://" + String(repeating: "\u{FC}", count: 60) + ".com/", "63"),
    ("http://" + Array(repeating: String(repeating: "a", count: 60), count: 5).joined(separator: ".") + "/", "253"),
    ("http://evil.example\\@good.example/", "backslash"),
    ("http://exa\u{A0}mple.com/", "space or control"),
    ("http://exa\u{3000}mple.com/", "space or control"),
    ("http://exa\u{85}mple.com/", "space or control"),
    ("http://exa\u{37E}mple.com/", "not allowed"), // GREEK QUESTION MARK is NFC-equivalent to ";"
]

@Suite("URL canonicaliser")
struct URLCanonicalizerTests {
    @Test("Accepted URLs canonicalise to the expected bytes", arguments: acceptedURLs)
    func urlAccepted(input: String, expected: String) {
        switch canonicalURL(input) {
        case .success(let output):
            #expect(Array(output.utf8) == Array(expected.utf8), "got \(output)")
        case .failure(let failure):
            Issue.record("rejected: \(failure.reason)")
        }
    }

    @Test("Canonical URLs are fixed points", arguments: acceptedURLs.map(\.1))
    func urlIdempotent(canonical: String) {
        let again = canonicalURL(canonical)
        #expect((try? again.get()).map { Array($0.utf8) } == Array(canonical.utf8))
    }

    @Test("Rejected URLs fail with a reason", arguments: rejectedURLs)
    func urlRejected(input: String, reasonFragment: String) {
        switch canonicalURL(input) {
        case .success(let output):
            Issue.record("accepted as \(output)")
        case .failure(let failure):
            #expect(failure.reason.contains(reasonFragment), "reason was: \(failure.reason)")
        }
    }

    @Test func urlWithoutSchemeSaysSo() {
        #expect(canonicalURL("example.com") == .failure(
            CanonicalizationFailure(reason: "the URL has no scheme; only http and https are accepted")))
    }

    @Test func urlLengthBoundaries() {
        let prefix = "http://example.com/"
        let exact = prefix + String(repeating: "a", count: 2048 - prefix.utf8.count)
        #expect((try? canonicalURL(exact).get()) == exact)
        // Trailing whitespace does not count towards the limit.
        #expect((try? canonicalURL(exact + "   ").get()) == exact)
        #expect((try? canonicalURL(exact + "a").get()) == nil)

        let label63 = String(repeating: "a", count: 63)
        #expect((try? canonicalURL("http://\(label63).com/").get()) == "http://\(label63).com/")
        // 3 × 63 + 61 + 3 dots = 253 bytes.
        let host253 = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")
        #expect(host253.utf8.count == 253)
        #expect((try? canonicalURL("http://\(host253)/").get()) == "http://\(host253)/")
        #expect((try? canonicalURL("http://\(host253)./").get()) == "http://\(host253)/")
        #expect((try? canonicalURL("http://\(host253)b/").get()) == nil)
    }
}

// MARK: - Punycode

/// RFC 3492 §7.1 sample strings (A)–(S), as code points, with their encodings.
/// Mixed-case annotations are ignored: the encoder preserves the case of basic
/// code points and always emits lowercase digits.
private let punycodeVectors: [(String, [UInt32], String)] = [
    ("(A) Arabic (Egyptian)", [0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628, 0x062A, 0x0643, 0x0644, 0x0645, 0x0648, 0x0634, 0x0639, 0x0631, 0x0628, 0x064A, 0x061F], "egbpdaj6bu4bxfgehfvwxn"),
    ("(B) Chinese (simplified)", [0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48, 0x4E0D, 0x8BF4, 0x4E2D, 0x6587], "ihqwcrb4cv8a8dqg056pqjye"),
    ("(C) Chinese (traditional)", [0x4ED6, 0x5011, 0x7232, 0x4EC0, 0x9EBD, 0x4E0D, 0x8AAA, 0x4E2D, 0x6587], "ihqwctvzc91f659drss3x8bo0yb"),
    ("(D) Czech", [0x0050, 0x0072, 0x006F, 0x010D, 0x0070, 0x0072, 0x006F, 0x0073, 0x0074, 0x011B, 0x006E, 0x0065, 0x006D, 0x006C, 0x0075, 0x0076, 0x00ED, 0x010D, 0x0065, 0x0073, 0x006B, 0x0079], "Proprostnemluvesky-uyb24dma41a"),
    ("(E) Hebrew", [0x05DC, 0x05DE, 0x05D4, 0x05D4, 0x05DD, 0x05E4, 0x05E9, 0x05D5, 0x05D8, 0x05DC, 0x05D0, 0x05DE, 0x05D3, 0x05D1, 0x05E8, 0x05D9, 0x05DD, 0x05E2, 0x05D1, 0x05E8, 0x05D9, 0x05EA], "4dbcagdahymbxekheh6e0a7fei0b"),
    ("(F) Hindi (Devanagari)", [0x092F, 0x0939, 0x0932, 0x094B, 0x0917, 0x0939, 0x093F, 0x0928, 0x094D, 0x0926, 0x0940, 0x0915, 0x094D, 0x092F, 0x094B, 0x0902, 0x0928, 0x0939, 0x0940, 0x0902, 0x092C, 0x094B, 0x0932, 0x0938, 0x0915, 0x0924, 0x0947, 0x0939, 0x0948, 0x0902], "i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd"),
    ("(G) Japanese (kanji and hiragana)", [0x306A, 0x305C, 0x307F, 0x3093, 0x306A, 0x65E5, 0x672C, 0x8A9E, 0x3092, 0x8A71, 0x3057, 0x3066, 0x304F, 0x308C, 0x306A, 0x3044, 0x306E, 0x304B], "n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa"),
    ("(H) Korean (Hangul syllables)", [0xC138, 0xACC4, 0xC758, 0xBAA8, 0xB4E0, 0xC0AC, 0xB78C, 0xB4E4, 0xC774, 0xD55C, 0xAD6D, 0xC5B4, 0xB97C, 0xC774, 0xD574, 0xD55C, 0xB2E4, 0xBA74, 0xC5BC, 0xB9C8, 0xB098, 0xC88B, 0xC744, 0xAE4C], "989aomsvi5e83db1d2a355cv1e0vak1dwrv93d5xbh15a0dt30a5jpsd879ccm6fea98c"),
    ("(I) Russian (Cyrillic)", [0x043F, 0x043E, 0x0447, 0x0435, 0x043C, 0x0443, 0x0436, 0x0435, 0x043E, 0x043D, 0x0438, 0x043D, 0x0435, 0x0433, 0x043E, 0x0432, 0x043E, 0x0440, 0x044F, 0x0442, 0x043F, 0x043E, 0x0440, 0x0443, 0x0441, 0x0441, 0x043A, 0x0438], "b1abfaaepdrnnbgefbadotcwatmq2g4l"),
    ("(J) Spanish", [0x0050, 0x006F, 0x0072, 0x0071, 0x0075, 0x00E9, 0x006E, 0x006F, 0x0070, 0x0075, 0x0065, 0x0064, 0x0065, 0x006E, 0x0073, 0x0069, 0x006D, 0x0070, 0x006C, 0x0065, 0x006D, 0x0065, 0x006E, 0x0074, 0x0065, 0x0068, 0x0061, 0x0062, 0x006C, 0x0061, 0x0072, 0x0065, 0x006E, 0x0045, 0x0073, 0x0070, 0x0061, 0x00F1, 0x006F, 0x006C], "PorqunopuedensimplementehablarenEspaol-fmd56a"),
    ("(K) Vietnamese", [0x0054, 0x1EA1, 0x0069, 0x0073, 0x0061, 0x006F, 0x0068, 0x1ECD, 0x006B, 0x0068, 0x00F4, 0x006E, 0x0067, 0x0074, 0x0068, 0x1EC3, 0x0063, 0x0068, 0x1EC9, 0x006E, 0x00F3, 0x0069, 0x0074, 0x0069, 0x1EBF, 0x006E, 0x0067, 0x0056, 0x0069, 0x1EC7, 0x0074], "TisaohkhngthchnitingVit-kjcr8268qyxafd2f1b9g"),
    ("(L) 3<nen>B<gumi><kinpachi><sensei>", [0x0033, 0x5E74, 0x0042, 0x7D44, 0x91D1, 0x516B, 0x5148, 0x751F], "3B-ww4c5e180e575a65lsy2b"),
    ("(M) <amuro><namie>-with-SUPER-MONKEYS", [0x5B89, 0x5BA4, 0x5948, 0x7F8E, 0x6075, 0x002D, 0x0077, 0x0069, 0x0074, 0x0068, 0x002D, 0x0053, 0x0055, 0x0050, 0x0045, 0x0052, 0x002D, 0x004D, 0x004F, 0x004E, 0x004B, 0x0045, 0x0059, 0x0053], "-with-SUPER-MONKEYS-pc58ag80a8qai00g7n9n"),
    ("(N) Hello-Another-Way-<sorezore><no><basho>", [0x0048, 0x0065, 0x006C, 0x006C, 0x006F, 0x002D, 0x0041, 0x006E, 0x006F, 0x0074, 0x0068, 0x0065, 0x0072, 0x002D, 0x0057, 0x0061, 0x0079, 0x002D, 0x305D, 0x308C, 0x305E, 0x308C, 0x306E, 0x5834, 0x6240], "Hello-Another-Way--fc4qua05auwb3674vfr0b"),
    ("(O) <hitotsu><yane><no><shita>2", [0x3072, 0x3068, 0x3064, 0x5C4B, 0x6839, 0x306E, 0x4E0B, 0x0032], "2-u9tlzr9756bt3uc0v"),
    ("(P) Maji<de>Koi<suru>5<byou><mae>", [0x004D, 0x0061, 0x006A, 0x0069, 0x3067, 0x004B, 0x006F, 0x0069, 0x3059, 0x308B, 0x0035, 0x79D2, 0x524D], "MajiKoi5-783gue6qz075azm5e"),
    ("(Q) <pafii>de<runba>", [0x30D1, 0x30D5, 0x30A3, 0x30FC, 0x0064, 0x0065, 0x30EB, 0x30F3, 0x30D0], "de-jg4avhby1noc0d"),
    ("(R) <sono><supiido><de>", [0x305D, 0x306E, 0x30B9, 0x30D4, 0x30FC, 0x30C9, 0x3067], "d9juau41awczczp"),
    ("(S) -> $1.00 <-", [0x002D, 0x003E, 0x0020, 0x0024, 0x0031, 0x002E, 0x0030, 0x0030, 0x0020, 0x003C, 0x002D], "-> $1.00 <--"),
]

@Suite("Punycode encoder")
struct PunycodeTests {
    @Test("RFC 3492 §7.1 sample strings", arguments: punycodeVectors)
    func punycodeRFCVectors(name: String, codePoints: [UInt32], expected: String) {
        var scalars = String.UnicodeScalarView()
        for value in codePoints {
            guard let scalar = Unicode.Scalar(value) else { Issue.record("bad code point in \(name)"); return }
            scalars.append(scalar)
        }
        #expect(Punycode.encode(String(scalars)) == expected, "\(name)")
    }

    @Test("Punycode of common labels", arguments: [
        ("münchen", "mnchen-3ya"), ("bücher", "bcher-kva"), ("ü", "tda"), ("üý", "tdac"),
        ("例え", "r8jz45g"), ("テスト", "zckzah"), ("i\u{2764}", "i-7iq"), ("abc", "abc-"), ("", ""),
    ])
    func punycodeCommon(label: String, expected: String) {
        #expect(Punycode.encode(label) == expected)
    }
}

import CoalitionCore
import Testing

@Suite("Signal field rules")
struct SignalRulesTests {
    @Test("a category is 'name' or 'name/keyword', each [a-z0-9_]+", arguments: [
        "violence", "illegal_or_harmful_speech/kw_hate_speech", "a/b", "x_1", "0",
    ])
    func validCategories(_ c: String) throws {
        #expect(try SignalRules.checkCategory(c) == c)
    }

    @Test("anything else is refused, naming the field", arguments: [
        "", "/", "a/", "/a", "a//b", "a/b/c", "Violence", "a b", "caf\u{E9}", "a-b", "a/b\n",
        String(repeating: "a", count: 200),
    ])
    func invalidCategories(_ c: String) {
        #expect(throws: CoalitionError.self) { try SignalRules.checkCategory(c) }
        do { _ = try SignalRules.checkCategory(c) } catch { #expect(error.field == "category") }
    }

    @Test("hash values are trimmed of Unicode whitespace and lowercased, whether or not they arrive canonical", arguments: [
        ("d41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"),
        ("D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        ("  d41d8cd98f00b204e9800998ecf8427e\n", "d41d8cd98f00b204e9800998ecf8427e"),
        ("\u{A0}d41d8cd98f00b204e9800998ecf8427E\u{3000}", "d41d8cd98f00b204e9800998ecf8427e"),
        ("\td41d8cd98f00b204e9800998ecf8427e", "d41d8cd98f00b204e9800998ecf8427e"),
    ])
    func hashValues(_ raw: String, _ canonical: String) throws {
        #expect(try SignalRules.canonicalValue(raw, kind: .md5) == canonical)
    }

    @Test("a hash value of the wrong length or with a non-hex character is refused, naming the field", arguments: [
        "d41d8cd98f00b204e9800998ecf8427", "d41d8cd98f00b204e9800998ecf8427e0", "g41d8cd98f00b204e9800998ecf8427e",
        "d41d8cd98f00b204 9800998ecf8427e", "\u{A0}", "",
    ])
    func invalidHashValues(_ raw: String) {
        do {
            _ = try SignalRules.canonicalValue(raw, kind: .md5)
            Issue.record("accepted '\(raw)'")
        } catch { #expect(error.field == "value") }
    }
}

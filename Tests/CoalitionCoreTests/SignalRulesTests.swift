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
}

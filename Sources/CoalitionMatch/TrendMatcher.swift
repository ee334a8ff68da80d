/// Finds trend terms in text (captions, comments, hashtag lists) by folded tokens, so that a
/// match always covers whole words (`TextFolding`).
///
/// A term matches its own token sequence. In addition, a hashtag term (`#tidepodchallenge`)
/// matches the bare word, and a phrase of several words (`tide pod challenge`) matches the
/// hashtag of its words run together (`#TidePodChallenge`). The text is scanned once; at each
/// token the matcher tries the sequences up to the longest term's length.
public struct TrendMatcher<Payload: Sendable>: Sendable {
    private var table: [String: [Payload]] = [:]
    private var maxTokens = 0

    public init() {}

    /// Adds `term` (any text; it is tokenised and folded like the text it will be matched in).
    public mutating func add(_ term: String, _ payload: Payload) {
        let tokens = TextFolding.tokens(term)
        guard !tokens.isEmpty else { return }
        maxTokens = max(maxTokens, tokens.count)
        table[tokens.joined(separator: " "), default: []].append(payload)
        if tokens.count == 1, tokens[0].hasPrefix("#"), tokens[0].count > 1 {
            table[String(tokens[0].dropFirst()), default: []].append(payload)
        } else if tokens.count > 1, !tokens.contains(where: { $0.hasPrefix("#") }) {
            table["#" + tokens.joined(), default: []].append(payload)
        }
    }

    public var isEmpty: Bool { table.isEmpty }

    /// Every occurrence of a term in `text`, in text order, with the folded tokens it matched.
    public func matches(in text: String) -> [(payload: Payload, matched: String)] {
        let tokens = TextFolding.tokens(text)
        var out: [(payload: Payload, matched: String)] = []
        for start in tokens.indices {
            var key = ""
            for n in 0..<min(maxTokens, tokens.count - start) {
                key += (n == 0 ? "" : " ") + tokens[start + n]
                if let hits = table[key] {
                    for p in hits { out.append((p, key)) }
                }
            }
        }
        return out
    }
}

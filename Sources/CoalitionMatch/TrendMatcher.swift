/// Finds trend terms in text (captions, comments, hashtag lists) by folded tokens, so that a
/// match always covers whole words (`TextFolding`).
///
/// A term matches its own token sequence. In addition, a hashtag term (`#tidepodchallenge`)
/// matches the bare word, and a phrase of several words (`tide pod challenge`) matches the
/// hashtag of its words run together (`#TidePodChallenge`).
///
/// The terms form an Aho–Corasick automaton whose alphabet is the terms' tokens: the text is
/// tokenised once and scanned once, with one dictionary lookup and amortised O(1) automaton steps
/// per token, whatever the number of terms. A text token that occurs in no term resets the
/// automaton. Memory is a few flat arrays per trie node and one dictionary of edges; no object per
/// term.
public struct TrendMatcher<Payload: Sendable>: Sendable {
    /// Token text → token number (the automaton's alphabet).
    private var vocabulary: [String: Int32] = [:]
    /// Trie edges: `node << 32 | token` → child node. Node 0 is the root.
    private var edges: [UInt64: Int32] = [:]
    private var parent: [Int32] = [0]
    private var token: [Int32] = [-1]
    private var depth: [Int32] = [0]
    /// Index into `payloads` for nodes that end a term, else -1.
    private var terminal: [Int32] = [-1]
    private var payloads: [[Payload]] = []
    /// Failure links, and for each node the nearest terminal node on its failure chain (-1: none).
    private var failure: [Int32] = [0]
    private var nextTerminal: [Int32] = [-1]

    public init() {}

    /// Builds the matcher from many terms at once, linking the automaton once.
    public init(terms: some Sequence<(String, Payload)>) {
        for (term, payload) in terms { insert(term, payload) }
        link()
    }

    /// Adds `term` (any text; it is tokenised and folded like the text it will be matched in).
    /// Relinks the whole automaton, O(size): to add many terms use ``init(terms:)``.
    public mutating func add(_ term: String, _ payload: Payload) {
        insert(term, payload)
        link()
    }

    public var isEmpty: Bool { payloads.isEmpty }

    /// The number of trie nodes (for memory accounting in benchmarks).
    public var nodeCount: Int { parent.count }

    /// Every occurrence of a term in `text`, in text order (then shortest first), with the folded
    /// tokens it matched.
    public func matches(in text: String) -> [(payload: Payload, matched: String)] {
        let tokens = TextFolding.tokens(text)
        var found: [(start: Int, end: Int, node: Int32)] = []
        var node: Int32 = 0
        for (i, tok) in tokens.enumerated() {
            guard let t = vocabulary[tok] else { node = 0; continue }
            while true {
                if let next = edges[Self.edgeKey(node, t)] { node = next; break }
                if node == 0 { break }
                node = failure[Int(node)]
            }
            var out = terminal[Int(node)] >= 0 ? node : nextTerminal[Int(node)]
            while out >= 0 {
                found.append((i + 1 - Int(depth[Int(out)]), i, out))
                out = nextTerminal[Int(out)]
            }
        }
        found.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var result: [(payload: Payload, matched: String)] = []
        for f in found {
            let matched = tokens[f.start...f.end].joined(separator: " ")
            for p in payloads[Int(terminal[Int(f.node)])] { result.append((p, matched)) }
        }
        return result
    }

    // MARK: - Building

    @inline(__always)
    private static func edgeKey(_ node: Int32, _ token: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: node)) << 32 | UInt64(UInt32(bitPattern: token))
    }

    /// Adds the term's token sequences to the trie (links are left stale).
    private mutating func insert(_ term: String, _ payload: Payload) {
        let tokens = TextFolding.tokens(term)
        guard !tokens.isEmpty else { return }
        addSequence(tokens, payload)
        if tokens.count == 1, tokens[0].hasPrefix("#"), tokens[0].count > 1 {
            addSequence([String(tokens[0].dropFirst())], payload)
        } else if tokens.count > 1, !tokens.contains(where: { $0.hasPrefix("#") }) {
            addSequence(["#" + tokens.joined()], payload)
        }
    }

    private mutating func addSequence(_ tokens: [String], _ payload: Payload) {
        var node: Int32 = 0
        for tok in tokens {
            let t: Int32
            if let known = vocabulary[tok] {
                t = known
            } else {
                t = Int32(vocabulary.count)
                vocabulary[tok] = t
            }
            let key = Self.edgeKey(node, t)
            if let child = edges[key] {
                node = child
            } else {
                let child = Int32(parent.count)
                edges[key] = child
                parent.append(node)
                token.append(t)
                depth.append(depth[Int(node)] + 1)
                terminal.append(-1)
                node = child
            }
        }
        if terminal[Int(node)] < 0 {
            terminal[Int(node)] = Int32(payloads.count)
            payloads.append([payload])
        } else {
            payloads[Int(terminal[Int(node)])].append(payload)
        }
    }

    /// Computes failure and output links, shallowest nodes first (each node's links depend only
    /// on shallower nodes).
    private mutating func link() {
        let n = parent.count
        failure = [Int32](repeating: 0, count: n)
        nextTerminal = [Int32](repeating: -1, count: n)
        // Counting sort of the nodes by depth.
        let maxDepth = Int(depth.max() ?? 0)
        var starts = [Int](repeating: 0, count: maxDepth + 2)
        for d in depth { starts[Int(d) + 1] += 1 }
        for d in 0...maxDepth { starts[d + 1] += starts[d] }
        var order = [Int32](repeating: 0, count: n)
        for v in 0..<n {
            order[starts[Int(depth[v])]] = Int32(v)
            starts[Int(depth[v])] += 1
        }
        for v in order where v != 0 {
            let p = parent[Int(v)], t = token[Int(v)]
            var f: Int32 = 0
            if p != 0 {
                f = failure[Int(p)]
                while true {
                    if let next = edges[Self.edgeKey(f, t)] { f = next; break }
                    if f == 0 { break }
                    f = failure[Int(f)]
                }
            }
            failure[Int(v)] = f
            nextTerminal[Int(v)] = terminal[Int(f)] >= 0 ? f : nextTerminal[Int(f)]
        }
    }
}

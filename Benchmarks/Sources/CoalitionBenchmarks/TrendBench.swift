import CoalitionCore
import CoalitionMatch
import Foundation

// `trends`: trend matching with many terms. Synthetic terms (1–4 words from a vocabulary of
// pseudo-words, a quarter of them hashtags) and a synthetic text of the same words mixed with
// filler, so that matches occur. Prints the automaton's MB/s of text and the MB/s of a naive
// per-term scan in the same run (same folding and tokens, each term's token sequences looked for
// at every position), and their ratio.

func benchTrends() {
    let termCount = argument("--terms", default: 100_000)
    let textBytes = argument("--text-kib", default: 1_024) * 1_024
    let naiveBytes = argument("--naive-kib", default: 8) * 1_024
    var rng = SplitMix64(seed: 11)
    func word(_ i: UInt64) -> String {
        let syllables = ["ka", "lo", "mi", "tse", "ru", "vo", "chal", "lenge", "tik", "pod", "dare", "xi", "é", "zu", "bla", "ck"]
        var s = ""
        var v = i
        repeat { s += syllables[Int(v % 16)]; v /= 16 } while v > 0
        return s
    }
    let vocabulary = (0..<UInt64(20_000)).map { word($0 &* 2_654_435_761 % 1_000_003) }
    var terms: [(String, Int)] = []
    terms.reserveCapacity(termCount)
    for i in 0..<termCount {
        let n = 1 + Int(rng.next() % 4)
        var words = (0..<n).map { _ in vocabulary[Int(rng.next() % UInt64(vocabulary.count))] }
        if n == 1 && rng.next() % 2 == 0 { words[0] = "#" + words[0] }
        terms.append((words.joined(separator: " "), i))
    }
    var text = ""
    while text.utf8.count < textBytes {
        switch rng.next() % 10 {
        case 0: text += terms[Int(rng.next() % UInt64(termCount))].0.uppercased() + ", "
        case 1: text += "#" + vocabulary[Int(rng.next() % UInt64(vocabulary.count))].capitalized + " "
        case 2, 3, 4: text += vocabulary[Int(rng.next() % UInt64(vocabulary.count))] + " "
        default: text += ["the", "and", "lol", "😂", "this", "is", "wild", "ça", "va"][Int(rng.next() % 9)] + " "
        }
    }
    print("== trends: \(termCount) terms, \(text.utf8.count / 1024) KiB of text (naive scan on the first \(naiveBytes / 1024) KiB), 1 core")

    let t0 = now()
    let matcher = TrendMatcher(terms: terms)
    let build = now() - t0
    var grown = matcher
    let tAdd = now()
    grown.add("brand new challenge", -1)
    let addOne = now() - tAdd
    precondition(grown.matches(in: "a Brand-New Challenge!").map(\.payload) == [-1])

    // The automaton, over the whole text in chunks of about one caption each.
    let chunks = stride(from: 0, to: text.utf8.count, by: 2_048).map { start -> String in
        let s = text.utf8.index(text.utf8.startIndex, offsetBy: start)
        let e = text.utf8.index(s, offsetBy: min(2_048, text.utf8.count - start))
        return String(Substring(text.utf8[s..<e]))
    }
    let t1 = now()
    var hits = 0
    for c in chunks { hits += matcher.matches(in: c).count }
    let automaton = now() - t1
    let automatonMBps = Double(text.utf8.count) / automaton / 1e6

    // The naive scan: token sequences precomputed (not timed), then per chunk every term is
    // looked for at every position.
    var forms: [[String]] = []
    for (term, _) in terms {
        let t = TextFolding.tokens(term)
        forms.append(t)
        if t.count == 1, t[0].hasPrefix("#"), t[0].count > 1 { forms.append([String(t[0].dropFirst())]) }
        if t.count > 1, !t.contains(where: { $0.hasPrefix("#") }) { forms.append(["#" + t.joined()]) }
    }
    let naiveChunks = chunks.prefix(max(1, naiveBytes / 2_048))
    let naiveTextBytes = naiveChunks.reduce(0) { $0 + $1.utf8.count }
    let t2 = now()
    var naiveHits = 0
    for c in naiveChunks {
        let tokens = TextFolding.tokens(c)
        for form in forms where form.count <= tokens.count {
            for start in 0...(tokens.count - form.count) {
                var ok = true
                for k in 0..<form.count where tokens[start + k] != form[k] { ok = false; break }
                if ok { naiveHits += 1 }
            }
        }
    }
    let naive = now() - t2
    let naiveMBps = Double(naiveTextBytes) / naive / 1e6
    let automatonOnSample = naiveChunks.reduce(0) { $0 + matcher.matches(in: $1).count }
    precondition(automatonOnSample == naiveHits, "automaton found \(automatonOnSample) matches, the naive scan \(naiveHits)")

    print(String(format: "   build %.2f s (%d trie nodes); adding one more term %.0f ms; %d matches in the text", build, matcher.nodeCount, addOne * 1e3, hits))
    print(String(format: "   automaton %.2f MB/s; naive per-term scan %.4f MB/s; ratio %.0f× (target >= 100×); both found %d matches on the sample",
                 automatonMBps, naiveMBps, automatonMBps / naiveMBps, naiveHits))
    print(String(format: "   peak RSS %.0f MiB", peakRSSMiB()))
}

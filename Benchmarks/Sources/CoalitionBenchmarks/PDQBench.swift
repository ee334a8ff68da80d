import CoalitionMatch
import Foundation

// `pdq`: the PDQ index at platform scale (groundwork for the matching issue). Random hashes;
// queries are half planted near-duplicates (0–31 bits flipped) and half random. Prints build
// time, queries per second on one core, recall against a brute-force scan of the same data (on a
// sample of the queries), and peak RSS.

func benchPDQ() {
    let n = argument("--hashes", default: 1_000_000)
    let queryCount = argument("--queries", default: 2_000)
    let radius = argument("--distance", default: 31)
    var rng = SplitMix(seed: 7)
    print("== pdq: \(n) random hashes, \(queryCount) queries (half near-duplicates with 0–31 bits flipped), radius \(radius), 1 core")
    var hashes: [PDQHash] = []
    hashes.reserveCapacity(n)
    for _ in 0..<n { hashes.append(PDQHash(words: (rng.next(), rng.next(), rng.next(), rng.next()))) }
    var queries: [PDQHash] = []
    for i in 0..<queryCount {
        if i % 2 == 0 {
            let base = hashes[Int(rng.next() % UInt64(n))]
            var w = [base.words.0, base.words.1, base.words.2, base.words.3]
            var bits = Set<Int>()
            let flips = Int(rng.next() % 32)
            while bits.count < flips { bits.insert(Int(rng.next() % 256)) }
            for b in bits { w[b / 64] ^= 1 << UInt64(b % 64) }
            queries.append(PDQHash(words: (w[0], w[1], w[2], w[3])))
        } else {
            queries.append(PDQHash(words: (rng.next(), rng.next(), rng.next(), rng.next())))
        }
    }
    let t0 = now()
    var index = PDQMultiIndex<Int>()
    for (i, h) in hashes.enumerated() { index.insert(h, for: i) }
    let build = now() - t0
    let t1 = now()
    var hits = 0
    for q in queries { hits += index.search(q, radius: radius).count }
    let qps = Double(queryCount) / (now() - t1)
    // Recall and the brute-force reference, on a sample (a full scan per query is slow).
    let sample = Array(queries.prefix(200))
    var linear = PDQIndex<Int>()
    for (i, h) in hashes.enumerated() { linear.insert(h, for: i) }
    let t2 = now()
    var expected = 0, agreed = 0
    for q in sample {
        let truth = Set(linear.search(q, radius: radius).map(\.key))
        let got = Set(index.search(q, radius: radius).map(\.key))
        expected += truth.count
        agreed += truth.intersection(got).count
    }
    let linearQPS = Double(sample.count) / (now() - t2) // includes the index search, which is small
    print(String(format: "   build %.1f s (%.0f hashes/s); %.0f queries/s on one core; %d matches for %d queries", build, Double(n) / build, qps, hits, queryCount))
    print(String(format: "   recall vs brute force on %d queries: %.4f (%d of %d); linear scan ≈ %.0f queries/s → ratio %.1f×",
                 sample.count, expected == 0 ? 1 : Double(agreed) / Double(expected), agreed, expected, linearQPS, qps / linearQPS))
    print(String(format: "   peak RSS %.0f MiB (hashes, both indexes and the queries)", peakRSSMiB()))
}

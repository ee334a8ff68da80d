import CoalitionCore
import CoalitionMatch
import Foundation

// `pdq`: the PDQ index at platform scale. Random hashes; queries are half planted near-duplicates
// (0–31 bits flipped) and half random. For each size it prints build time, queries per second on
// one core, recall against a brute-force scan of the same data (on a sample of the queries), the
// peak RSS of the process, the cost of incremental inserts and removals at that size, and, in the
// same run on the same hashes and queries, python-threatexchange's default PDQ index with the
// ratios. Each size runs in its own child process, so each peak RSS is that size's alone.
//
//   coalition-bench pdq [--hashes 1000000,10000000] [--queries 2000] [--distance 31] [--no-threatexchange]

func benchPDQ() throws {
    let sizes = (stringArgument("--hashes") ?? "1000000,10000000").split(separator: ",").compactMap { Int($0) }
    if sizes.count > 1 {
        for n in sizes {
            var args = Array(CommandLine.arguments.dropFirst())
            if let i = args.firstIndex(of: "--hashes") { args.removeSubrange(i...i + 1) }
            try runChild(args + ["--hashes", String(n)])
        }
        return
    }
    let n = sizes.first ?? 1_000_000
    let queryCount = argument("--queries", default: 2_000)
    let radius = argument("--distance", default: 31)
    var rng = SplitMix64(seed: 7)
    print("== pdq: \(n) random hashes, \(queryCount) queries (half near-duplicates with 0–31 bits flipped), radius \(radius)")
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

    // The reference first, in its own process, so neither measurement holds the other's memory.
    let reference = CommandLine.arguments.contains("--no-threatexchange")
        ? nil : try ThreatExchangeReference.run(hashes: hashes, queries: queries, distance: radius)

    let t0 = now()
    var index = PDQMultiIndex(hashes: hashes, keys: Array(0..<n))
    let build = now() - t0
    let t1 = now()
    var hits = 0
    for q in queries { hits += index.search(q, radius: radius).count }
    let qps = Double(queryCount) / (now() - t1)

    // Recall against a brute-force scan, on a sample (a full scan per query is slow).
    let sample = Array(queries.prefix(200))
    var expected = 0, agreed = 0
    let t2 = now()
    var truths: [Set<Int>] = []
    for q in sample {
        var truth = Set<Int>()
        for (i, h) in hashes.enumerated() where h.distance(to: q) <= radius { truth.insert(i) }
        truths.append(truth)
    }
    let scanQPS = Double(sample.count) / (now() - t2)
    for (q, truth) in zip(sample, truths) {
        let got = Set(index.search(q, radius: radius).map(\.key))
        expected += truth.count
        agreed += truth.intersection(got).count
        precondition(got.isSubset(of: truth), "the index returned a hash beyond the radius")
    }
    let recall = expected == 0 ? 1 : Double(agreed) / Double(expected)
    let rss = peakRSSMiB()

    // Incremental changes at this size: what a signal arriving by gossip, or a retraction, costs.
    hashes = []  // the index now owns the only copy, so inserts append in place
    let extra = (0..<50_000).map { _ in PDQHash(words: (rng.next(), rng.next(), rng.next(), rng.next())) }
    let t3 = now()
    for (i, h) in extra.enumerated() { index.insert(h, for: n + i) }
    let insertMicros = (now() - t3) / Double(extra.count) * 1e6
    let t4 = now()
    for (i, h) in extra.enumerated() { index.remove(h, for: n + i) }
    let removeMicros = (now() - t4) / Double(extra.count) * 1e6
    precondition(index.count == n)

    print(String(format: "   coalition: build %.1f s on %d cores (%.0f hashes/s, %d tables of %@ bits); %.0f queries/s on one core; %d matches",
                 build, cores, Double(n) / build, index.layout.tableCount,
                 Set(index.layout.widths).sorted().map(String.init).joined(separator: "/"), qps, hits))
    print(String(format: "   recall vs brute force on %d queries: %.4f (%d of %d); brute-force scan %.1f queries/s → index %.0f× the scan",
                 sample.count, recall, agreed, expected, scanQPS, qps / scanQPS))
    print(String(format: "   peak RSS %.0f MiB (the hashes, their keys, the index, the queries); insert %.2f µs, remove %.2f µs at this size",
                 rss, insertMicros, removeMicros))
    guard let reference else { return }
    print(String(format: "   threatexchange %@ (%@): build %.1f s, %.0f queries/s on one thread, %d matches, peak RSS %.0f MiB",
                 reference.version, reference.indexClass, reference.buildSeconds, reference.qps, reference.matches, reference.peakRSSMiB))
    print(String(format: "   ratios: queries/s %.1f× (target ≥ 10×); memory %.2f of its peak (target ≤ 0.25); build time %.2f of its (target ≤ 0.5)",
                 qps / reference.qps, rss / reference.peakRSSMiB, build / reference.buildSeconds))
    if reference.matches != hits {
        print("   note: threatexchange found \(reference.matches) matches and this index \(hits) (both count distances ≤ the radius; see README, Performance)")
    }
}

/// python-threatexchange's default PDQ index, run by `Benchmarks/threatexchange/pdq_reference.py`
/// in a virtual environment that `Benchmarks/threatexchange/setup.sh` creates with pip.
struct ThreatExchangeReference: Decodable {
    var indexClass: String
    var version: String
    var buildSeconds: Double
    var qps: Double
    var matches: Int
    var peakRSSMiB: Double

    enum CodingKeys: String, CodingKey {
        case indexClass = "index_class", version, buildSeconds = "build_seconds", qps, matches, peakRSSMiB = "peak_rss_mib"
    }

    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("threatexchange")
    }

    static func run(hashes: [PDQHash], queries: [PDQHash], distance: Int) throws -> ThreatExchangeReference {
        try runChild([directory.appendingPathComponent("setup.sh").path], executable: "/bin/bash")
        // Input: little-endian u32 N and Q, then the hashes and the queries, 32 bytes each in hex order.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-pdq-\(getpid()).bin")
        defer { try? FileManager.default.removeItem(at: file) }
        var data = Data(capacity: 8 + 32 * (hashes.count + queries.count))
        withUnsafeBytes(of: UInt32(hashes.count).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(queries.count).littleEndian) { data.append(contentsOf: $0) }
        for h in hashes + queries {
            for w in [h.words.0, h.words.1, h.words.2, h.words.3] { withUnsafeBytes(of: w.bigEndian) { data.append(contentsOf: $0) } }
        }
        try data.write(to: file)
        data = Data()
        let python = directory.deletingLastPathComponent().appendingPathComponent(".venv-threatexchange/bin/python").path
        let output = try runChild([directory.appendingPathComponent("pdq_reference.py").path, file.path,
                                   "--distance", String(distance), "--threads", "1"], executable: python, capture: true)
        guard let line = output.split(separator: "\n").last else { throw BenchError("pdq_reference.py printed nothing") }
        return try JSONDecoder().decode(ThreatExchangeReference.self, from: Data(line.utf8))
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation

// `http --write-load M`: lookup latency while the node stores M entries that a second node
// process (`serve-store`) sends it by gossip, beside the same latency idle.

/// A wrk run's figures: requests per second and latency percentiles in milliseconds.
struct WrkRun {
    var rps: Double
    var p50: Double
    var p99: Double
    var errors: Int
    /// The 99th percentile as wrk printed it.
    var p99Text: String
}

/// wrk's duration text ("850.00us", "1.23ms", "1.02s", "1.5m") in milliseconds.
func wrkMillis(_ text: String) -> Double? {
    let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000)]
    for (suffix, factor) in units where text.hasSuffix(suffix) {
        return Double(text.dropLast(suffix.count)).map { $0 * factor }
    }
    return nil
}

/// Signs `count` publish entries by `authors` new authors (seeds apart from the stored ones) and
/// bulk-loads them into a new store at `path`.
/// - Returns: the authors' keys.
func makeSourceStore(at path: String, count: Int, authors: Int) throws -> [PublicKey] {
    let perAuthor = count / authors
    let chains: [[Entry]] = Array(0..<authors).parallelMap(chunkSize: 1) { a in
        let signer = try! Signer(seed: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ a &+ 101) })
        var chain: [Entry] = [], prev = EntryID.zero
        chain.reserveCapacity(perAuthor)
        for i in 0..<perAuthor {
            let signal = try! Signal(kind: .md5, value: String(format: "%08x%024x", 0xabc0_0000 + a, i), category: "violence")
            let e = try! Entry.sign(by: signer, seq: UInt64(i + 1), prev: prev, timestamp: 1_767_225_600_000 + Int64(i), body: .publish(signal))
            prev = e.id
            chain.append(e)
        }
        return chain
    }
    try bulkLoad(chains.flatMap { $0 }, into: EntryStore(database: try AppDatabase.open(path: path), reader: nil))
    return chains.map { $0[0].author }
}

/// Runs wrk idle and while the node at `root` receives `count` entries from a source process;
/// prints p50 and p99 of single and batch lookups in both cases and their ratios.
func benchLookupsUnderWriteLoad(count: Int, root: String, binary: String, db: AppDatabase, idle: (healthz: WrkRun, get: WrkRun, post: WrkRun),
                                runWrk: (String) throws -> WrkRun) throws {
    print("== lookups under write load: the node receives \(count) entries by gossip from a second node process meanwhile")
    let t0 = now()
    let sourcePath = root + "-source.sqlite"
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sourcePath + suffix) } }
    let authors = try makeSourceStore(at: sourcePath, count: count, authors: 20)
    print(String(format: "   source store of %d entries from %d authors built in %.1f s", count, authors.count, now() - t0))
    let own = try MemberID(parsing: try runChild(["id", "--data-dir", root], executable: binary, capture: true)
        .trimmingCharacters(in: .whitespacesAndNewlines))
    // The source stands in for a peer on another machine: its threads run at nice +10, so that
    // what is measured is how the node keeps its own ingest from slowing its lookups.
    let source = try BootstrapSource.start(store: sourcePath, peer: own.publicKey, niceness: 10)
    let sourceCPU0 = source.cpuSeconds()
    defer { source.stop() }
    // Accept the source node and its authors; the running node applies each edit at once.
    for (i, key) in authors.enumerated() {
        try runChild(["members", "add", MemberID(publicKey: key).description, "--name", "author-\(i)", "--data-dir", root], executable: binary, capture: true)
    }
    let sourceID = MemberID(publicKey: source.key).description
    try runChild(["members", "add", sourceID, "--name", "source", "--data-dir", root], executable: binary, capture: true)
    let reader = EntryStore(database: db, reader: nil)
    let before = try reader.statistics().entries
    try runChild(["peers", "add", sourceID, "127.0.0.1:\(source.port)", "--name", "source", "--data-dir", root], executable: binary, capture: true)
    let started = now()
    while try reader.statistics().entries == before {
        guard now() - started < 120 else { throw BenchError("no entry arrived from the source within 120 s") }
        usleep(20_000)
    }
    let healthz = try runWrk("healthz")
    let get = try runWrk("get")
    let post = try runWrk("post")
    let stored = try reader.statistics().entries - before
    let elapsed = now() - started
    print(String(format: "   the source process used %.1f CPU seconds meanwhile (%.2f cores)", source.cpuSeconds() - sourceCPU0, (source.cpuSeconds() - sourceCPU0) / elapsed))
    print(String(format: "   during the runs the node stored %d of the %d entries (%.0f entries/s)%@", stored, count, Double(stored) / elapsed,
                 stored >= count ? " — the sync ended before the runs did: use more entries" : ""))
    for (name, quiet, loaded) in [("reference GET /healthz (no lookup, no token)", idle.healthz, healthz), ("GET /v1/lookup (one item)", idle.get, get), ("POST /v1/lookup (100 items)", idle.post, post)] {
        print(String(format: "   %@: idle p50 %.2f ms, p99 %.2f ms; under load p50 %.2f ms, p99 %.2f ms = %.2f× idle (target ≤ 3× and < 20 ms)%@",
                     name, quiet.p50, quiet.p99, loaded.p50, loaded.p99, loaded.p99 / quiet.p99,
                     loaded.errors > 0 ? " — \(loaded.errors) errors" : ""))
    }
}

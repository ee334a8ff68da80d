import CoalitionCore
import CoalitionCrypto
import CoalitionMatch
import CoalitionStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

// `http`: a real `coalition run` process holding N stored signals (md5, sha256, url and pdq in
// turn, from 8 authors), driven by wrk with keep-alive connections:
// - start-up: process start until /readyz answers 200 (the match indexes loaded), and its RSS;
// - single-item GET /v1/lookup, and POST /v1/lookup with batches of 100 items, of the exact
//   kinds (md5, sha256, url; PDQ radius search has its own benchmark): requests/s,
//   items/s and p99 latency (by default half of the values stored, half unknown), with GET
//   /healthz on the same server as the reference (the HTTP stack's own ceiling);
// - freshness: a signal stored by another writer on the same database (as the CLI does) until
//   a lookup over HTTP finds it;
// - in-process: the exact-lookup filter with 10M keys, lookups per second on one core.
//
//   coalition-bench http [--signals 1000000] [--seconds 10] [--connections 32] [--hit-percent 50]
//   (needs wrk: apt-get install wrk; and the coalition binary: swift build -c release
//    --package-path Benchmarks --product coalition)

func benchHTTP() throws {
    let n = argument("--signals", default: 1_000_000)
    let seconds = argument("--seconds", default: 10)
    let connections = argument("--connections", default: 32)
    let hitPercent = argument("--hit-percent", default: 50)
    func isHit(_ i: Int) -> Bool { (i * 37) % 100 < hitPercent }
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("coalition").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw BenchError("no coalition binary at \(binary); build it with: swift build -c release --package-path Benchmarks --product coalition")
    }
    guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
        throw BenchError("wrk is not installed; install it with: apt-get install -y wrk")
    }
    if !CommandLine.arguments.contains("--serve") { benchExactFilter() }

    print("== http: a coalition run process with \(n) stored signals, wrk with \(connections) keep-alive connections on 2 threads, \(seconds) s per run, \(hitPercent)% of looked-up values stored")
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-http-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    let port = freePort()
    try runChild(["init", "--name", "bench", "--listen", "127.0.0.1:\(freePort())", "--api-listen", "127.0.0.1:\(port)", "--data-dir", root],
                 executable: binary, capture: true)
    let config = root + "/coalition.yaml"
    var text = try String(contentsOfFile: config, encoding: .utf8)
    text = text.replacingOccurrences(of: #"requestsPerSecond: [0-9.]+"#, with: "requestsPerSecond: 100000000", options: .regularExpression)
    text = text.replacingOccurrences(of: #"burst: [0-9.]+"#, with: "burst: 100000000", options: .regularExpression)
    let flood = argument("--flood", default: 0)
    if flood > 0 { text = withFloodQuota(text) }
    try text.write(toFile: config, atomically: true, encoding: .utf8)
    let token = try runChild(["tokens", "create", "--name", "bench", "--scope", "lookup", "--data-dir", root], executable: binary, capture: true)
        .trimmingCharacters(in: .whitespacesAndNewlines)

    // The stored signals, signed by 8 authors, bulk-loaded into the node's database.
    let t0 = now()
    let authors = 8, perAuthor = n / authors
    let chains: [[Entry]] = Array(0..<authors).parallelMap(chunkSize: 1) { a in
        let signer = try! Signer(seed: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ a) })
        var chain: [Entry] = [], prev = EntryID.zero
        chain.reserveCapacity(perAuthor)
        for i in 0..<perAuthor {
            let (kind, value) = storedValue(author: a, index: i)
            let signal = try! Signal(kind: kind, value: value, category: "protection_of_minors")
            let e = try! Entry.sign(by: signer, seq: UInt64(i + 1), prev: prev, timestamp: 1_767_225_600_000 + Int64(i), body: .publish(signal))
            prev = e.id
            chain.append(e)
        }
        return chain
    }
    var entries: [Entry] = []
    entries.reserveCapacity(n)
    for i in 0..<perAuthor { for a in 0..<authors { entries.append(chains[a][i]) } }
    let signed = now() - t0
    let db = try AppDatabase.open(path: root + "/coalition.sqlite")
    try bulkLoad(entries, into: EntryStore(database: db, reader: nil))
    entries = []
    print(String(format: "   signed %d entries in %.1f s, stored them in %.1f s", n, signed, now() - t0 - signed))

    // Start-up: the process until /readyz says ready.
    let node = Process()
    node.executableURL = URL(fileURLWithPath: binary)
    node.arguments = ["run", "--data-dir", root]
    node.standardOutput = FileHandle.nullDevice
    node.standardError = FileHandle.nullDevice
    let t1 = now()
    try node.run()
    defer { if node.isRunning { node.terminate(); node.waitUntilExit() } }
    let base = "http://127.0.0.1:\(port)"
    while httpStatus(base + "/readyz") != 200 {
        guard node.isRunning, now() - t1 < 600 else { throw BenchError("the node did not become ready") }
        usleep(5_000)
    }
    let startup = now() - t1
    print(String(format: "   start-up: ready in %.2f s (process start to /readyz 200); RSS %.0f MiB (%.0f MiB anonymous, %.0f MiB mapped file pages), peak so far %.0f MiB",
                 startup, rssMiB(of: node.processIdentifier, "VmRSS"), rssMiB(of: node.processIdentifier, "RssAnon"),
                 rssMiB(of: node.processIdentifier, "RssFile"), rssMiB(of: node.processIdentifier, "VmHWM")))

    // wrk: single-item GETs, then batches of 100.
    var paths: [String] = []
    for i in 0..<20_000 {
        let a = i % authors, k = exactIndex((i * 7919) % max(perAuthor, 1))
        let (kind, value) = isHit(i) ? storedValue(author: a, index: k) : storedValue(author: a + 100, index: k)  // authors ≥ 100: never stored
        paths.append("/v1/lookup?kind=\(kind.name)&value=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)")
    }
    let pathFile = root + "/paths.txt"
    try paths.joined(separator: "\n").write(toFile: pathFile, atomically: true, encoding: .utf8)
    var bodies: [String] = []
    for b in 0..<200 {
        let items = (0..<100).map { j -> String in
            let i = b * 100 + j, a = i % authors, k = exactIndex((i * 7919) % max(perAuthor, 1))
            let (kind, value) = isHit(i) ? storedValue(author: a, index: k) : storedValue(author: a + 100, index: k)
            return #"{"kind":"\#(kind.name)","value":"\#(value)"}"#
        }
        bodies.append(#"{"items":[\#(items.joined(separator: ","))]}"#)
    }
    let bodyFile = root + "/bodies.txt"
    try bodies.joined(separator: "\n").write(toFile: bodyFile, atomically: true, encoding: .utf8)
    let script = root + "/lookup.lua"
    try """
        wrk.headers["Authorization"] = "Bearer \(token)"
        wrk.headers["Content-Type"] = "application/json"
        local lines = {}
        local mode = os.getenv("COALITION_WRK_MODE")
        local file = mode == "post" and "\(bodyFile)" or "\(pathFile)"
        for line in io.lines(file) do lines[#lines + 1] = line end
        local i = 0
        request = function()
            i = i + 1
            local line = lines[(i % #lines) + 1]
            if mode == "post" then return wrk.format("POST", "/v1/lookup", nil, line) end
            if mode == "healthz" then return wrk.format("GET", "/healthz") end
            return wrk.format("GET", line)
        end
        """.write(toFile: script, atomically: true, encoding: .utf8)
    func runWrk(_ mode: String) throws -> WrkRun {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: wrk)
        p.arguments = ["-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script, base]
        p.environment = ["COALITION_WRK_MODE": mode]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        func field(_ prefix: String) -> String? {
            out.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }
                .map { $0.trimmingCharacters(in: .whitespaces).dropFirst(prefix.count).trimmingCharacters(in: .whitespaces) }
        }
        guard let rps = field("Requests/sec:").flatMap(Double.init), let p99 = field("99%"), let p50 = field("50%"),
              let p99ms = wrkMillis(p99), let p50ms = wrkMillis(p50) else { throw BenchError("unexpected wrk output:\n\(out)") }
        let errors = (field("Non-2xx or 3xx responses:").flatMap { Int($0) } ?? 0)
            + (field("Socket errors:") != nil ? 1 : 0)
        return WrkRun(rps: rps, p50: p50ms, p99: p99ms, errors: errors, p99Text: p99)
    }
    if CommandLine.arguments.contains("--serve") {
        // For profiling: leave the node running and print the load commands (Ctrl-C ends it).
        print("   node PID \(node.processIdentifier) serving \(base); drive it with")
        for mode in ["healthz", "get", "post"] {
            print("   COALITION_WRK_MODE=\(mode) \(wrk) -t2 -c\(connections) -d\(seconds)s --latency -s \(script) \(base)")
        }
        fflush(nil)
        while node.isRunning { sleep(1) }
        return
    }
    // The reference: the same server's cheapest route (no token, no lookup, a two-field JSON
    // answer), the ceiling of the HTTP stack with wrk on the same two cores.
    let ceiling = try runWrk("healthz")
    print(String(format: "   reference GET /healthz: %.0f requests/s, p99 %@ (the HTTP server's ceiling on this machine, wrk sharing its cores)",
                 ceiling.rps, ceiling.p99Text))
    let get = try runWrk("get")
    let peakAfterGet = rssMiB(of: node.processIdentifier, "VmHWM")
    print(String(format: "   GET /v1/lookup (one item): %.0f requests/s = %.2f of the reference, p99 %@ (target ≥ 30000 requests/s)%@", get.rps,
                 get.rps / ceiling.rps, get.p99Text, get.errors > 0 ? " — \(get.errors) errors" : ""))
    let post = try runWrk("post")
    print(String(format: "   peak RSS after the GET runs %.0f MiB, after the POST runs %.0f MiB", peakAfterGet, rssMiB(of: node.processIdentifier, "VmHWM")))
    print(String(format: "   POST /v1/lookup (100 items): %.0f requests/s = %.0f items/s, p99 %@ (target ≥ 200000 items/s)%@", post.rps, post.rps * 100, post.p99Text,
                 post.errors > 0 ? " — \(post.errors) errors" : ""))
    let writeLoad = argument("--write-load", default: 0)
    if writeLoad > 0 {
        try benchLookupsUnderWriteLoad(count: writeLoad, root: root, binary: binary, db: db, idle: (ceiling, get, post), runWrk: runWrk)
    }

    if flood > 0 {
        try benchFlood(count: flood, root: root, binary: binary, db: db, node: node, idle: get, runWrk: runWrk)
    }

    // Freshness: stored by another writer, then matchable over HTTP.
    let writer = EntryStore(database: db, reader: nil)
    let signer = Signer()
    var delays: [Double] = []
    for i in 0..<20 {
        let value = String(format: "%032x", 0xfeed_0000 + i)
        _ = try writer.append([.plain(.publish(try Signal(kind: .md5, value: value, category: "protection_of_minors")))], by: signer)
        let stored = now()
        let url = base + "/v1/lookup?kind=md5&value=\(value)"
        while !(httpBody(url, token: token)?.contains("\"flagged\":true") ?? false) {
            guard now() - stored < 10 else { throw BenchError("a stored signal was not matchable within 10 s") }
        }
        delays.append((now() - stored) * 1000)
    }
    delays.sort()
    print(String(format: "   freshness: stored by another writer → matchable over HTTP: median %.1f ms, max %.1f ms over %d signals (target < 100 ms)",
                 delays[delays.count / 2], delays.last!, delays.count))
    print(String(format: "   node RSS now %.0f MiB (%.0f MiB anonymous, %.0f MiB mapped file pages), peak %.0f MiB (target < 2048 MiB)",
                 rssMiB(of: node.processIdentifier, "VmRSS"), rssMiB(of: node.processIdentifier, "RssAnon"),
                 rssMiB(of: node.processIdentifier, "RssFile"), rssMiB(of: node.processIdentifier, "VmHWM")))
}

/// The nearest index at or below `k` whose stored value is of an exact kind (md5, sha256 or
/// url): the issue's HTTP figures are for exact kinds; PDQ radius search has its own benchmark.
func exactIndex(_ k: Int) -> Int { k % 4 == 3 ? k - 1 : k }

/// The value of stored signal `index` of `author` (authors from 100 up are never stored).
func storedValue(author a: Int, index i: Int) -> (SignalKind, String) {
    switch i % 4 {
    case 0: return (.md5, String(format: "%08x%024x", a, i))
    case 1: return (.sha256, String(format: "%08x%056x", a, i))
    case 2: return (.url, "https://example\(a).com/item/\(i)")
    default:
        // Uniformly random-looking words (a hash of author and index), as real PDQ hashes of
        // unrelated images are: no substring is shared by more hashes than chance gives.
        var mix = SplitMix64(seed: UInt64(a) << 40 ^ UInt64(i))
        return (.pdq, String(format: "%016llx%016llx%016llx%016llx", mix.next(), mix.next(), mix.next(), mix.next()))
    }
}

/// The exact-lookup filter on its own with 10M keys: lookups per second on one core, for keys
/// that are stored and keys that are not, and for the whole per-item path (canonical value,
/// SHA-256 indicator key, filter).
func benchExactFilter() {
    let n = 10_000_000
    var rng = SplitMix64(seed: 3)
    let t0 = now()
    var set = ExactKeySet(capacity: n)
    var stored: [UInt64] = []
    stored.reserveCapacity(n)
    for _ in 0..<n { let k = rng.next(); stored.append(k); set.insert(k) }
    let build = now() - t0
    let probes = 2_000_000
    var found = 0
    let t1 = now()
    for i in 0..<probes { if set.contains(i % 2 == 0 ? stored[(i &* 7919) % n] : rng.next()) { found += 1 } }
    let rate = Double(probes) / (now() - t1)
    let t2 = now()
    var known = 0
    for i in 0..<200_000 {
        let raw = String(format: "%032X", i &* 7919)
        let canonical = try! SignalRules.canonicalValue(raw, kind: .md5)
        if set.contains(UInt64(bitPattern: IndicatorKey(kind: .md5, value: canonical).storageKey)) { known += 1 }
    }
    let pathRate = 200_000 / (now() - t2)
    print("== exact lookups in process: the indicator-key filter with \(n) keys")
    print(String(format: "   built in %.1f s; %.1f M lookups/s on one core (half stored, %d found); with canonicalisation and SHA-256: %.0f lookups/s; peak RSS %.0f MiB",
                 build, rate / 1e6, found, pathRate, peakRSSMiB()))
}

func httpStatus(_ url: String) -> Int? {
    httpRequest(url, token: nil)?.status
}

func httpBody(_ url: String, token: String) -> String? {
    httpRequest(url, token: token)?.body
}

/// One blocking HTTP GET (for polling; the load itself comes from wrk).
func httpRequest(_ url: String, token: String?) -> (status: Int, body: String)? {
    var request = URLRequest(url: URL(string: url)!)
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    request.timeoutInterval = 5
    let done = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: (Int, String)?
    URLSession.shared.dataTask(with: request) { data, response, _ in
        if let r = response as? HTTPURLResponse { result = (r.statusCode, String(decoding: data ?? Data(), as: UTF8.self)) }
        done.signal()
    }.resume()
    done.wait()
    return result
}

/// A line of /proc/PID/status in MiB (VmRSS: now; VmHWM: peak).
func rssMiB(of pid: Int32, _ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
          let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kib / 1024
}

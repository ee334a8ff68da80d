import CoalitionCore
import CoalitionCrypto
import CoalitionNode
import CoalitionStore
import Foundation
import GRDB

/// `coalition-bench dashboard`: the overview page's server time with `--signals` (default
/// 1,000,000) stored, against `/healthz` in the same run; then `coalition report` over a year
/// with `--report-signals` (default 10,000,000) stored, against one plain scan of the entry
/// table in the same run. `--report-signals 0` skips the second part.
func benchDashboard() throws {
    let n = argument("--signals", default: 1_000_000)
    let reportN = argument("--report-signals", default: 10_000_000)
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("coalition").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        throw BenchError("no coalition binary at \(binary); build it with: swift build -c release --package-path Benchmarks --product coalition")
    }
    let day: Int64 = 86_400_000
    let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
    if n > 0 {
        print("== dashboard: the overview page of a coalition run process with \(n) signals stored (30 days, 8 publishing members and 8 that dispute; 1% retracted, 0.5% disputed)")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-dash-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = freePort()
        try runChild(["init", "--name", "bench", "--listen", "127.0.0.1:\(freePort())", "--api-listen", "127.0.0.1:\(port)", "--data-dir", root],
                     executable: binary, capture: true)
        let token = try runChild(["tokens", "create", "--name", "bench", "--scope", "admin", "--data-dir", root], executable: binary, capture: true)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let t0 = now()
        let store = EntryStore(database: try AppDatabase.open(path: root + "/coalition.sqlite"), reader: nil)
        try bulkLoad(dashboardEntries(count: n, from: nowMs - 30 * day, to: nowMs - 60_000), into: store)
        print(String(format: "   signed and stored %d signals (with their retractions and disputes) in %.1f s", n, now() - t0))
        let node = Process()
        node.executableURL = URL(fileURLWithPath: binary)
        node.arguments = ["run", "--data-dir", root, "--log-level", "warning"]
        node.standardOutput = FileHandle.nullDevice
        node.standardError = FileHandle.nullDevice
        try node.run()
        defer { if node.isRunning { node.terminate(); node.waitUntilExit() } }
        let base = "http://127.0.0.1:\(port)"
        let t1 = now()
        while httpStatus(base + "/readyz") != 200 {
            guard node.isRunning, now() - t1 < 600 else { throw BenchError("the node did not become ready") }
            usleep(5_000)
        }
        // Python's http.client on one keep-alive connection: log in, then the overview 300 times
        // (each answer's Server-Timing is the server's own time), /healthz as the floor.
        let script = """
        import http.client, re, statistics, sys, time, urllib.parse
        c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=600)
        c.request("GET", "/ui/login"); r = c.getresponse(); page = r.read().decode()
        login = r.getheader("Set-Cookie").split(";")[0]
        csrf = re.search('name="csrf" value="([^"]+)"', page).group(1)
        c.request("POST", "/ui/login", body=urllib.parse.urlencode({"csrf": csrf, "token": sys.argv[2]}),
                  headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": login})
        r = c.getresponse(); r.read()
        cookie = r.getheader("Set-Cookie").split(";")[0]
        def get(path):
            t = time.perf_counter(); c.request("GET", path, headers={"Cookie": cookie}); r = c.getresponse(); body = r.read()
            wall = (time.perf_counter() - t) * 1000
            assert r.status == 200, (path, r.status)
            server = re.search(r"dur=([0-9.]+)", r.getheader("Server-Timing") or "")
            return wall, float(server.group(1)) if server else None, len(body)
        first = get("/ui")
        print("first %.1f %.1f %d" % (first[0], first[1], first[2]))
        for path in ("/ui", "/healthz"):
            runs = [get(path) for _ in range(300)]
            walls = sorted(x[0] for x in runs)
            servers = sorted(x[1] for x in runs if x[1] is not None) or [0]
            print("%s %.3f %.3f %.3f %.3f" % (path, statistics.median(walls), walls[int(len(walls) * 0.99) - 1],
                                               statistics.median(servers), servers[int(len(servers) * 0.99) - 1]))
        """
        let out = try runChild(["python3", "-c", script, String(port), token], executable: "/usr/bin/env", capture: true)
        var rows: [String: [Double]] = [:]
        var first: [Double] = []
        for line in out.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.first == "first" { first = f.dropFirst().compactMap { Double($0) } } else if f.count == 5 { rows[String(f[0])] = f.dropFirst().compactMap { Double($0) } }
        }
        guard let ui = rows["/ui"], let health = rows["/healthz"], first.count == 3 else { throw BenchError("the page client failed:\n\(out)") }
        print(String(format: "   first overview (counts made then): server %.1f ms, %.0f KiB", first[1], first[2] / 1024))
        print(String(format: "   overview, 300 requests: server time median %.2f ms, p99 %.2f ms (target: under 50 ms); round trip median %.2f ms, p99 %.2f ms",
                     ui[2], ui[3], ui[0], ui[1]))
        print(String(format: "   reference, /healthz in the same run: round trip median %.2f ms; the overview costs %.1fx a health check", health[0], ui[0] / max(health[0], 0.001)))
        node.terminate()
        node.waitUntilExit()
    }
    guard reportN > 0 else { return }
    print("== report: coalition report over a year with \(reportN) signals stored (8 publishing members and 8 that dispute; 1% retracted, 0.5% disputed)")
    // --report-store DIR keeps the node there, and reuses one made by an earlier run.
    let kept = CommandLine.arguments.firstIndex(of: "--report-store").map { CommandLine.arguments[$0 + 1] }
    let root = kept ?? FileManager.default.temporaryDirectory.appendingPathComponent("coalition-report-\(getpid())").path
    defer { if kept == nil { try? FileManager.default.removeItem(atPath: root) } }
    let reuse = kept != nil && FileManager.default.fileExists(atPath: root + "/coalition.sqlite")
    if !reuse {
        try runChild(["init", "--name", "bench", "--listen", "127.0.0.1:\(freePort())", "--api-listen", "", "--data-dir", root], executable: binary, capture: true)
    }
    let t0 = now()
    let db = try AppDatabase.open(path: root + "/coalition.sqlite")
    if reuse {
        print("   reusing the store in \(root)")
    } else {
        try bulkLoad(dashboardEntries(count: reportN, from: nowMs - 365 * day, to: nowMs - 60_000), into: EntryStore(database: db, reader: nil))
        print(String(format: "   signed and stored %d signals in %.1f s", reportN, now() - t0))
    }
    let from = String(SignalView_time(nowMs - 365 * day).prefix(10)), to = String(SignalView_time(nowMs).prefix(10))
    var times: [Double] = [], scans: [Double] = []
    var digest = ""
    for _ in 0..<3 {
        let s0 = now()
        let count = try db.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry WHERE timestamp >= 0 AND bodyType > 0") ?? 0 }
        scans.append(now() - s0)
        precondition(count >= reportN)
        let t = now()
        let out = try runChild(["report", "--from", from, "--to", to, "--format", "csv", "--data-dir", root], executable: binary, capture: true)
        times.append(now() - t)
        digest = out.split(separator: "\n").last.map(String.init) ?? ""
    }
    times.sort()
    scans.sort()
    print(String(format: "   coalition report --from %@ --to %@: %.2f s, %.2f s, %.2f s; median %.2f s (target: under 10 s)", from, to, times[0], times[1], times[2], times[1]))
    print(String(format: "   reference, one COUNT(*) scan of the entry table in the same run: median %.2f s; the report costs %.1fx that scan", scans[1], times[1] / scans[1]))
    print("   \(digest)")
}

/// RFC 3339 of ms since the epoch (what SignalView.time prints), for the report's dates.
func SignalView_time(_ ms: Int64) -> String {
    let f = ISO8601DateFormatter()
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
}

/// `count` signals by 8 authors, published evenly over `[from, to)`, in several kinds,
/// categories and severities; each author retracts 1% of its signals as it goes, and 8 more
/// members dispute 0.5% of them. In an order a bulk load takes (every target before what
/// points to it).
func dashboardEntries(count: Int, from: Int64, to: Int64) -> [Entry] {
    let authors = 8, perAuthor = count / authors
    let categories = ["protection_of_minors/unsafe_challenges", "protection_of_minors/grooming_sexual_enticement_minors", "violence",
                      "scams_and_fraud", "illegal_or_harmful_speech/hate_speech", "risk_for_public_security/terrorist_content",
                      "self_harm", "cyber_violence/cyber_bullying_intimidation"]
    let signers = (0..<authors).map { a in try! Signer(seed: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ a &+ 7) }) }
    let span = max(1, to - from)
    // Each chain in time order: a publish per step; every 100th step also retracts the
    // author's signal of 99 steps before, every 200th disputes the next author's of 100 before.
    @Sendable func value(_ a: Int, _ i: Int) -> (SignalKind, String) {
        switch i % 4 {
        case 0: (.md5, String(format: "%08x%024x", a, i))
        case 1: (.sha256, String(format: "%032x%032x", a, i))
        case 2: (.url, "https://m\(a).example/item/\(i)")
        default: (.trend, "#trend\(a)x\(i)")
        }
    }
    let chains: [[Entry]] = Array(0..<authors).parallelMap(chunkSize: 1) { a in
        var chain: [Entry] = [], prev = EntryID.zero, seq: UInt64 = 0
        chain.reserveCapacity(perAuthor + perAuthor / 50 + 2)
        var ids: [EntryID] = []
        ids.reserveCapacity(perAuthor)
        func append(_ body: Body, at t: Int64) -> EntryID {
            seq += 1
            let e = try! Entry.sign(by: signers[a], seq: seq, prev: prev, timestamp: t, body: body)
            prev = e.id
            chain.append(e)
            return e.id
        }
        for i in 0..<perAuthor {
            let t = from + Int64(i) * span / Int64(perAuthor)
            let (kind, v) = value(a, i)
            let severity: Severity = [.low, .medium, .high, .critical][(i / 4) % 4]
            let signal = try! Signal(kind: kind, value: v, category: categories[(i / 16 + a) % categories.count], severity: severity)
            ids.append(append(.publish(signal), at: t))
            if i % 100 == 99 {
                _ = append(.retract(try! Retraction(target: ids[i - 99], reason: i % 200 == 99 ? "false positive" : "duplicate")), at: t)
            }
        }
        return chain
    }
    // The disputes, by the next author, of signals published 100 steps before: a second pass
    // would re-sign whole chains, so they go in a chain of their own per author (seeds apart).
    let judges = (0..<authors).map { a in try! Signer(seed: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 23 &+ a &+ 91) }) }
    let disputes: [[Entry]] = Array(0..<authors).parallelMap(chunkSize: 1) { a in
        let other = chains[(a + 1) % authors].filter { $0.bodyType == BodyType.publish }
        var chain: [Entry] = [], prev = EntryID.zero, seq: UInt64 = 0
        for i in stride(from: 50, to: other.count, by: 200) {
            seq += 1
            let e = try! Entry.sign(by: judges[a], seq: seq, prev: prev, timestamp: other[i].timestamp,
                                    body: .opinion(try! Opinion(target: other[i].id, stance: .dispute, note: nil)))
            prev = e.id
            chain.append(e)
        }
        return chain
    }
    var out: [Entry] = []
    out.reserveCapacity(count + count / 50)
    let longest = chains.map(\.count).max() ?? 0
    for i in 0..<longest { for a in 0..<authors where i < chains[a].count { out.append(chains[a][i]) } }
    for a in 0..<authors { out.append(contentsOf: disputes[a]) }
    return out
}

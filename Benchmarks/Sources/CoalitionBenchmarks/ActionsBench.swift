import CoalitionActions
import CoalitionCore
import CoalitionMatch
import CoalitionStore
import Foundation
import GRDB

// `actions`: (1) the time from a signal published at A to its webhook, verified by the PyPI
// `standardwebhooks` package, at C of an A–B–C line of real `coalition run` processes on
// loopback; reference: the same signals' gossip arrival at C, in the same run. (2) The content
// bank at --bank items: memory per PDQ item, and one retro-hunt check against a plain
// single-threaded scan of the same hashes.

func benchActions() async throws {
    let count = argument("--events", default: 300)
    let bankSize = argument("--bank", default: 10_000_000)
    if count > 0 { try await benchWebhookLatency(count: count) }
    if bankSize > 0 { try benchContentBank(size: bankSize) }
}

private let receiverScript = #"""
import sys, json, time, http.server, signal, threading
from standardwebhooks import Webhook
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
port, out, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
hook, lock, f = Webhook(secret), threading.Lock(), open(sys.argv[2], "a")
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            p = hook.verify(body, dict(self.headers.items()))
            rec = {"ok": True, "at": time.time() * 1000, "id": self.headers["webhook-id"], "signal": p["data"]["signal"]["id"],
                   "publishedAt": p["data"]["signal"]["publishedAt"]}
            status = 204
        except Exception as e:
            rec, status = {"ok": False, "error": str(e)}, 401
        with lock:
            f.write(json.dumps(rec) + "\n"); f.flush()
        self.send_response(status); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
print("listening", flush=True)
s.serve_forever()
"""#

private func benchWebhookLatency(count: Int) async throws {
    let binary = coalitionBinary()
    print("== actions: \(count) signals published at A, webhooks verified at C (A–B–C line of coalition run processes, loopback)")
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-actions-\(UUID().uuidString.prefix(8))").path
    defer { try? FileManager.default.removeItem(atPath: root) }
    @discardableResult
    func cli(_ args: [String], _ node: String) throws -> String { try coalitionCLI(binary, args + ["--data-dir", "\(root)/\(node)"]) }
    let names = ["a", "b", "c"]
    var ports: [String: Int] = [:], ids: [String: String] = [:]
    for n in names {
        ports[n] = freePort()
        try cli(["init", "--name", n, "--listen", "127.0.0.1:\(ports[n]!)"], n)
        ids[n] = try cli(["id"], n).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    for n in names {
        for m in names where m != n { try cli(["members", "add", ids[m]!, "--name", m], n) }
        let path = "\(root)/\(n)/coalition.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "listen: \"127.0.0.1:7421\"", with: "listen: \"\"")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    try cli(["peers", "add", ids["b"]!, "127.0.0.1:\(ports["b"]!)"], "a")
    try cli(["peers", "add", ids["b"]!, "127.0.0.1:\(ports["b"]!)"], "c")
    let hookPort = freePort()
    let secret = try cli(["webhooks", "add", "oncall", "http://127.0.0.1:\(hookPort)/hook"], "c").trimmingCharacters(in: .whitespacesAndNewlines)
    try cli(["rules", "add", "--name", "all", "--event", "signal.published", "--destination", "oncall"], "c")

    let out = root + "/deliveries.jsonl"
    let receiver = Process()
    receiver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    receiver.arguments = ["python3", "-c", receiverScript, String(hookPort), out, secret]
    let pipe = Pipe()
    receiver.standardOutput = pipe
    try receiver.run()
    guard String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self).contains("listening") else {
        print("error: the receiver did not start (pip install standardwebhooks)")
        exit(2)
    }
    var processes: [Process] = [receiver]
    defer {
        for p in processes where p.isRunning { p.terminate() }
        for p in processes { p.waitUntilExit() }
    }
    for n in names {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["run", "--data-dir", "\(root)/\(n)", "--log-level", "warning"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        processes.append(p)
    }
    let deadline = now() + 60
    while now() < deadline {
        let s = try? cli(["status", "--json"], "b")
        if let d = s?.data(using: .utf8), let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any],
           ((o["peers"] as? [[String: Any]]) ?? []).filter({ $0["connected"] as? Bool == true }).count == 2 { break }
        try await Task.sleep(for: .milliseconds(200))
    }
    // One at a time, as signals arrive in practice: each is published, then the next.
    for k in 0..<count {
        try cli(["publish", "--kind", "trend", "--value", "#actions\(k)", "--category", "protection_of_minors/unsafe_challenges"], "a")
    }
    func received() -> [[String: Any]] {
        ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
    let waitUntil = now() + 120
    while now() < waitUntil, received().filter({ $0["ok"] as? Bool == true }).count < count { try await Task.sleep(for: .milliseconds(100)) }
    let got = received()
    let verified = got.filter { $0["ok"] as? Bool == true }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    var published: [String: Double] = [:]
    let webhook = verified.compactMap { r -> Double? in
        guard let at = r["at"] as? Double, let p = r["publishedAt"] as? String, let t = formatter.date(from: p), let id = r["signal"] as? String else { return nil }
        published[id] = t.timeIntervalSince1970 * 1000
        return at - t.timeIntervalSince1970 * 1000
    }.sorted()
    // The reference: when C stored each of those entries (gossip alone).
    let c = try DatabaseQueue(path: "\(root)/c/coalition.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
    let gossip = try await c.read { db in
        try Row.fetchAll(db, sql: "SELECT id, receivedAt, timestamp FROM entry").map { Double(($0["receivedAt"] as Int64) - ($0["timestamp"] as Int64)) }
    }.sorted()
    func pct(_ v: [Double], _ p: Double) -> Double { v.isEmpty ? .nan : v[min(v.count - 1, Int(Double(v.count) * p))] }
    print("   \(verified.count) of \(count) webhooks verified by standardwebhooks, \(got.count - verified.count) refused")
    print(String(format: "   published at A → verified webhook at C: p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 100 ms: %@)",
                 pct(webhook, 0.5), pct(webhook, 0.99), webhook.last ?? .nan, pct(webhook, 0.99) < 100 ? "met" : "NOT met"))
    print(String(format: "   reference, gossip alone (stored at C): p50 %.1f ms, p99 %.1f ms → the webhook adds p50 %.1f ms (ratio p99 %.2f×)",
                 pct(gossip, 0.5), pct(gossip, 0.99), pct(webhook, 0.5) - pct(gossip, 0.5), pct(webhook, 0.99) / max(pct(gossip, 0.99), 0.001)))
}

private func benchContentBank(size: Int) throws {
    print("== actions: content bank of \(size) PDQ items (memory, and one retro-hunt check)")
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-bank-\(UUID().uuidString.prefix(8))").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let db = try AppDatabase.open(path: root + "/bank.sqlite")
    let store = ContentBankStore(database: db)
    var rng = SplitMix64(seed: 26)
    var hashes: [PDQHash] = []
    hashes.reserveCapacity(size)
    let t0 = now()
    var i = 0
    while i < size {
        var batch: [ContentItem] = []
        batch.reserveCapacity(100_000)
        for _ in 0..<min(100_000, size - i) {
            let h = PDQHash(words: (rng.next(), rng.next(), rng.next(), rng.next()))
            hashes.append(h)
            batch.append(ContentItem(contentId: "upload-\(i)", kind: "pdq", value: h.hex))
            i += 1
        }
        _ = try store.register(batch)
    }
    print(String(format: "   registered in SQLite in %.0f s", now() - t0))
    let before = rssMiB(of: getpid(), "VmRSS")
    let bank = ContentBank(store: store)
    let t1 = now()
    let loaded = try bank.refresh()
    let after = rssMiB(of: getpid(), "VmRSS")
    print(String(format: "   loaded %d into memory in %.1f s: %.1f bytes per item held (%.0f MiB); RSS grew %.0f MiB = %.1f bytes per item (target ≤ 48)",
                 loaded, now() - t1, Double(bank.pdqBytes) / Double(loaded), Double(bank.pdqBytes) / 1_048_576, after - before,
                 (after - before) * 1_048_576 / Double(loaded)))
    // Queries: near-duplicates of registered items, so each check finds something.
    var checks: [Double] = [], plain: [Double] = []
    for q in 0..<15 {
        var w = hashes[Int(rng.next() % UInt64(size))].words
        w.0 ^= 0xff
        let query = PDQHash(words: w)
        let s = now()
        let hits = try bank.matches(kind: .pdq, value: query.hex, radius: 31)
        checks.append(now() - s)
        precondition(!hits.isEmpty)
        let p = now()
        var n = 0
        for h in hashes where h.distance(to: query) <= 31 { n += 1 }
        plain.append(now() - p)
        precondition(n == hits.count, "the bank found \(hits.count), a plain scan \(n) (query \(q))")
    }
    checks.sort()
    plain.sort()
    print(String(format: "   one check (all cores, with the hit's row read back): median %.1f ms; a plain single-threaded scan: %.1f ms (ratio %.2f×)",
                 checks[checks.count / 2] * 1000, plain[plain.count / 2] * 1000, plain[plain.count / 2] / checks[checks.count / 2]))
}

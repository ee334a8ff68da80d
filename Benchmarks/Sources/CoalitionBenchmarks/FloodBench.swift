import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import GRDB

// `http --flood N`: one member floods the node with N entries, as fast as a peer can send
// them, far beyond its per-author quota, while the node serves lookups and an honest member
// publishes once a second. Prints whether the quota held, the node's memory and disk, how fast
// the honest member's entries arrived, and lookup latency against the same latency idle.

/// The quota the flood runs against: per author, per minute, and its burst.
let floodQuotaPerMinute = 6_000
let floodQuotaBurst = 1_000

/// Sets the node's per-author quota in its configuration text (the `quota:` section).
func withFloodQuota(_ text: String) -> String {
    guard let start = text.range(of: "\nquota:") else { return text }
    let tail = text[start.upperBound...]
    let end = tail.range(of: "\n[a-z]", options: .regularExpression)?.lowerBound ?? tail.endIndex
    var section = String(tail[..<end])
    section = section.replacingOccurrences(of: #"entriesPerAuthorPerMinute: [0-9]+"#, with: "entriesPerAuthorPerMinute: \(floodQuotaPerMinute)", options: .regularExpression)
    section = section.replacingOccurrences(of: #"burst: [0-9.]+"#, with: "burst: \(floodQuotaBurst)", options: .regularExpression)
    return String(text[..<start.upperBound]) + section + String(tail[end...])
}

/// Bytes of the files in `dir`.
func directoryBytes(_ dir: String) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.reduce(0) { $0 + (((try? FileManager.default.attributesOfItem(atPath: dir + "/" + $1))?[.size] as? Int) ?? 0) }
}

func benchFlood(count: Int, root: String, binary: String, db: AppDatabase, node: Process, idle: WrkRun, runWrk: (String) throws -> WrkRun) throws {
    print("== flood: one member sends \(count) entries as fast as a peer can, against a quota of \(floodQuotaPerMinute)/min (burst \(floodQuotaBurst)), during lookups")
    let sourcePath = root + "-flood.sqlite"
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: sourcePath + suffix) } }
    let flooder = try makeSourceStore(at: sourcePath, count: count, authors: 1)[0]
    let own = try MemberID(parsing: try runChild(["id", "--data-dir", root], executable: binary, capture: true).trimmingCharacters(in: .whitespacesAndNewlines))
    let source = try BootstrapSource.start(store: sourcePath, peer: own.publicKey, niceness: 10)
    defer { source.stop() }

    // The honest member: a node of its own that dials this one and publishes once a second.
    let honestDir = root + "-honest"
    defer { try? FileManager.default.removeItem(atPath: honestDir) }
    try runChild(["init", "--name", "honest", "--listen", "127.0.0.1:\(freePort())", "--api-listen", "", "--data-dir", honestDir], executable: binary, capture: true)
    let honestID = try runChild(["id", "--data-dir", honestDir], executable: binary, capture: true).trimmingCharacters(in: .whitespacesAndNewlines)
    let gossipPort = try HostPortFromConfig(root)
    try runChild(["members", "add", own.description, "--name", "node", "--data-dir", honestDir], executable: binary, capture: true)
    try runChild(["peers", "add", own.description, "127.0.0.1:\(gossipPort)", "--data-dir", honestDir], executable: binary, capture: true)
    for (id, name) in [(MemberID(publicKey: flooder).description, "flooder"), (MemberID(publicKey: source.key).description, "flooder-node"), (honestID, "honest")] {
        try runChild(["members", "add", id, "--name", name, "--data-dir", root], executable: binary, capture: true)
    }
    let honest = Process()
    honest.executableURL = URL(fileURLWithPath: binary)
    honest.arguments = ["run", "--data-dir", honestDir]
    honest.standardOutput = FileHandle.nullDevice
    honest.standardError = FileHandle.nullDevice
    try honest.run()
    defer { if honest.isRunning { honest.terminate(); honest.waitUntilExit() } }

    let reader = try DatabaseQueue(path: root + "/coalition.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
    func stored(by key: PublicKey) throws -> Int { try storedCount(reader, key) }
    let honestKey = try MemberID(parsing: honestID).publicKey
    let diskBefore = directoryBytes(root), rssBefore = rssMiB(of: node.processIdentifier, "VmRSS")
    try runChild(["peers", "add", MemberID(publicKey: source.key).description, "127.0.0.1:\(source.port)", "--name", "flooder-node", "--data-dir", root],
                 executable: binary, capture: true)
    let started = now()
    while try stored(by: flooder) == 0 {
        guard now() - started < 120 else { throw BenchError("no flooded entry arrived within 120 s") }
        usleep(20_000)
    }
    let floodStart = now()

    // While wrk runs: the honest member publishes once a second; each arrival is timed.
    let samples = FloodSamples(rss: rssBefore)
    let pid = node.processIdentifier
    let publisher = Thread { [reader] in
        var i = 0
        while !samples.stopped {
            let before = (try? storedCount(reader, honestKey)) ?? 0
            let sent = now()
            _ = try? runChild(["publish", "--kind", "trend", "--value", "#honest\(i)", "--category", "protection_of_minors", "--data-dir", honestDir],
                              executable: binary, capture: true)
            while ((try? storedCount(reader, honestKey)) ?? 0) <= before, now() - sent < 60 { usleep(10_000) }
            samples.add(arrival: now() - sent, rss: rssMiB(of: pid, "VmRSS"))
            i += 1
            usleep(useconds_t(max(0, 1 - (now() - sent)) * 1e6))
        }
        samples.finish()
    }
    publisher.start()
    let get = try runWrk("get")
    samples.stop()
    while !samples.finished { usleep(10_000) }
    let (arrivals, maxRSS) = samples.result
    let elapsed = now() - floodStart
    let floodStored = try stored(by: flooder)
    let allowed = Double(floodQuotaBurst) + Double(floodQuotaPerMinute) / 60 * (now() - started)
    let status = try runChild(["status", "--json", "--data-dir", root], executable: binary, capture: true)
    let deferred = (try? JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any]).flatMap { ($0["counters"] as? [String: Any])?["quotaDeferred"] as? Int } ?? -1
    let offered = Double(floodStored + max(deferred, 0)) / elapsed
    let rate = Double(floodQuotaPerMinute) / 60
    let disk = directoryBytes(root) - diskBefore
    let wal = ((try? FileManager.default.attributesOfItem(atPath: root + "/coalition.sqlite-wal"))?[.size] as? Int) ?? 0
    let sorted = arrivals.sorted()
    print(String(format: "   the flooder offered %.0f entries/s (stored + deferred by the quota) = %.1f× its quota of %.0f/s", offered, offered / rate, rate))
    print(String(format: "   quota: %d flooded entries stored in %.1f s, allowed %.0f (burst + rate × time): %@", floodStored, now() - started, allowed,
                 Double(floodStored) <= allowed * 1.02 ? "held" : "EXCEEDED"))
    print(String(format: "   node memory: RSS %.0f MiB before, at most %.0f MiB during the flood; the data directory grew %.1f MiB; its WAL is now %.1f MiB (checkpointed at 32 MiB of new pages)",
                 rssBefore, maxRSS, Double(disk) / 1_048_576, Double(wal) / 1_048_576))
    if let median = sorted.isEmpty ? nil : sorted[sorted.count / 2] {
        print(String(format: "   the honest member's entries arrived in median %.2f s, max %.2f s over %d publishes (target: within seconds)", median, sorted.last!, sorted.count))
    }
    print(String(format: "   GET /v1/lookup (one item): idle p99 %.2f ms; during the flood p50 %.2f ms, p99 %.2f ms = %.2f× idle (target ≤ 3×)%@",
                 idle.p99, get.p50, get.p99, get.p99 / idle.p99, get.errors > 0 ? " — \(get.errors) errors" : ""))
}

func storedCount(_ reader: DatabaseQueue, _ key: PublicKey) throws -> Int {
    try reader.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM entry WHERE author = ?", arguments: [Data(key.bytes)]) } ?? 0
}

/// What the honest member's thread measures while wrk runs.
final class FloodSamples: @unchecked Sendable {
    private let lock = NSLock()
    private var arrivals: [Double] = []
    private var maxRSS: Double
    private var stopping = false, done = false

    init(rss: Double) { maxRSS = rss }
    var stopped: Bool { lock.withLock { stopping } }
    var finished: Bool { lock.withLock { done } }
    var result: ([Double], Double) { lock.withLock { (arrivals, maxRSS) } }
    func stop() { lock.withLock { stopping = true } }
    func finish() { lock.withLock { done = true } }
    func add(arrival: Double, rss: Double) {
        lock.withLock {
            arrivals.append(arrival)
            maxRSS = max(maxRSS, rss)
        }
    }
}

/// The gossip port in a node's configuration.
func HostPortFromConfig(_ root: String) throws -> Int {
    let text = try String(contentsOfFile: root + "/coalition.yaml", encoding: .utf8)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listen:") }),
          let port = line.split(separator: ":").last.flatMap({ Int($0.filter(\.isNumber)) }) else { throw BenchError("no listen address in \(root)/coalition.yaml") }
    return port
}

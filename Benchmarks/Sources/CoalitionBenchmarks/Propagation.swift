import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB

// `propagation`: N real `coalition run` processes on loopback in a random connected topology of
// degree 3–4. Entries are published at random nodes (through the CLI, as an admin would); each
// node records when it stored each entry (`receivedAt`, one clock for all processes), so the time
// until *every* node has an entry is the latest arrival minus its publication.

func benchPropagation() async throws {
    let n = argument("--nodes", default: 32)
    let count = argument("--entries", default: 1000)
    var rng = SplitMix64(seed: UInt64(argument("--seed", default: 1)))
    let binary = coalitionBinary()
    print("== propagation: \(n) node processes, random connected topology of degree 3-4, \(count) entries published at random nodes")
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-prop-\(UUID().uuidString.prefix(8))").path
    defer { try? FileManager.default.removeItem(atPath: root) }

    @discardableResult
    func cli(_ args: [String]) throws -> String { try coalitionCLI(binary, args) }

    // Nodes, and a ring plus random chords until every node has degree 3 or 4.
    var ports: [Int] = [], ids: [String] = []
    for i in 0..<n {
        let port = freePort()
        ports.append(port)
        try cli(["init", "--name", "node-\(i)", "--listen", "127.0.0.1:\(port)", "--data-dir", "\(root)/\(i)"])
        ids.append(try cli(["id", "--data-dir", "\(root)/\(i)"]).trimmingCharacters(in: .whitespacesAndNewlines))
    }
    var edges = Set<[Int]>()
    for i in 0..<n { edges.insert([min(i, (i + 1) % n), max(i, (i + 1) % n)]) }
    var degree = [Int](repeating: 2, count: n)
    var attempts = 0
    while degree.contains(where: { $0 < 3 }) && attempts < 10_000 {
        attempts += 1
        let a = Int(rng.next() % UInt64(n)), b = Int(rng.next() % UInt64(n))
        guard a != b, degree[a] < 4, degree[b] < 4, degree[a] < 3 || degree[b] < 3, !edges.contains([min(a, b), max(a, b)]) else { continue }
        edges.insert([min(a, b), max(a, b)])
        degree[a] += 1
        degree[b] += 1
    }
    // Every node accepts every other (relaying needs it); the lower index dials the higher.
    for i in 0..<n {
        let path = "\(root)/\(i)/coalition.yaml"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let members = (0..<n).filter { $0 != i }.map { "  - id: \(ids[$0])\n    name: \"node-\($0)\"" }.joined(separator: "\n")
        let peers = edges.filter { $0[0] == i }.map { "  - id: \(ids[$0[1]])\n    address: \"127.0.0.1:\(ports[$0[1]])\"" }.joined(separator: "\n")
        text = text.replacingOccurrences(of: "listen: \"127.0.0.1:7421\"", with: "listen: \"\"")  // no API needed here
            .replacingOccurrences(of: "members: []\n", with: "members:\n\(members)\n")
            .replacingOccurrences(of: "peers: []\n", with: peers.isEmpty ? "peers: []\n" : "peers:\n\(peers)\n")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    print("   topology: \(edges.count) links, degrees \(degree.min()!)–\(degree.max()!)")

    var processes: [Process] = []
    defer {
        for p in processes where p.isRunning { p.terminate() }
        for p in processes { p.waitUntilExit() }
    }
    for i in 0..<n {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["run", "--data-dir", "\(root)/\(i)", "--log-level", "warning"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        processes.append(p)
    }
    // Wait until every link is up.
    let deadline = now() + 60
    while now() < deadline {
        var up = 0
        for i in 0..<n {
            if let s = try? cli(["status", "--json", "--data-dir", "\(root)/\(i)"]), let d = s.data(using: .utf8),
               let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any], let peers = o["peers"] as? [[String: Any]] {
                up += peers.filter { $0["connected"] as? Bool == true }.count
            }
        }
        if up == 2 * edges.count { break }
        try await Task.sleep(for: .milliseconds(200))
    }

    // Publish at random nodes, paced so the CLI processes do not starve the nodes.
    let t0 = now()
    for k in 0..<count {
        let i = Int(rng.next() % UInt64(n))
        try cli(["publish", "--kind", "trend", "--value", "#prop\(k)", "--category", "protection_of_minors/unsafe_challenges", "--data-dir", "\(root)/\(i)"])
    }
    print(String(format: "   published %d entries in %.1f s", count, now() - t0))
    // Wait for every node to hold every entry.
    let pools = try (0..<n).map { try DatabaseQueue(path: "\(root)/\($0)/coalition.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }()) }
    let waitUntil = now() + 120
    while now() < waitUntil {
        let counts = try pools.map { try entryCount($0) }
        if counts.allSatisfy({ $0 == count }) { break }
        try await Task.sleep(for: .milliseconds(200))
    }
    // receivedAt per entry and node; the first is the publication.
    var arrivals: [Data: [Int64]] = [:]
    for pool in pools {
        for (id, at) in try arrivalTimes(pool) { arrivals[id, default: []].append(at) }
    }
    let complete = arrivals.values.filter { $0.count == n }
    let latencies = complete.map { Double($0.max()! - $0.min()!) }.sorted()
    func pct(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
    print("   \(complete.count) of \(count) entries reached all \(n) nodes")
    print(String(format: "   time until every node has an entry: p50 %.0f ms, p99 %.0f ms, max %.0f ms (target p99 < 250 ms: %@)",
                 pct(0.5), pct(0.99), latencies.last ?? .nan, pct(0.99) < 250 ? "met" : "NOT met"))
    print(String(format: "   reference: Serf's gossip model ≈ 2000 ms to reach every node → ratio p99 / 2000 ms = %.3f; MISP / ThreatExchange HMA pull every few minutes", pct(0.99) / 2000))
}

func entryCount(_ db: DatabaseQueue) throws -> Int {
    try db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM entry") ?? 0 }
}

/// When the node stored each entry (milliseconds since the epoch).
func arrivalTimes(_ db: DatabaseQueue) throws -> [(Data, Int64)] {
    try db.read { db in try Row.fetchAll(db, sql: "SELECT id, receivedAt FROM entry").map { ($0["id"], $0["receivedAt"]) } }
}

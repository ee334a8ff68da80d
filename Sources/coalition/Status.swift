import ArgumentParser
import CoalitionNode
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the running node's peers: connected, last sync, entries behind, bytes, last error.",
        discussion: """
            Asks the node running on this data directory through its admin socket. 'behind' counts entries \
            this node holds that the peer is not known to hold; 'ahead' counts entries the peer announced \
            that this node has not stored yet.
            """
    )

    @Flag(help: "Print the raw JSON report.") var json = false
    @OptionGroup var node: NodeOptions

    func run() async throws {
        _ = node.logger()
        guard let reply = try await AdminClient.send("status", to: node.adminSocket) else {
            Console.printError("error: no node is running in \(node.path) (no answer on \(node.adminSocket)); start it with 'coalition run'")
            throw ExitCode(1)
        }
        guard let report = try? JSONDecoder().decode(NodeDaemon.StatusReport.self, from: Data(reply.utf8)) else {
            Console.printError("error: the node answered: \(reply)")
            throw ExitCode(1)
        }
        if json {
            print(Console.json(report))
            return
        }
        print("\(report.name)  \(report.memberID)  listening on \(report.listen)")
        print("store: \(report.entries) entries from \(report.authors) authors, \(report.pending) pending; state digest \(report.stateDigest.prefix(16))…")
        let c = report.counters
        print("refused: \(c.notAMember) entries by non-members, \(c.refusedConnections) connections; deferred by quota: \(c.quotaDeferred); protocol violations: \(c.protocolViolations)")
        if let bank = report.contentBank, !bank.isEmpty {
            print("content bank: " + bank.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        }
        for d in report.deliveries ?? [] {
            var line = "webhook \(d.endpoint): \(d.pending) pending, \(d.delivered) delivered, \(d.dead) dead, \(d.dropped) dropped"
            if let oldest = d.oldestPendingAt { line += "; oldest waiting since \(Self.ago(oldest))" }
            if let e = d.lastError, let at = d.lastErrorAt { line += "; last error \(Self.ago(at)): \(e)" }
            print(line)
        }
        guard !report.peers.isEmpty else {
            print("no peers configured; add one with 'coalition peers add <member-id> <host:port>'")
            return
        }
        let rows = [["PEER", "NAME", "ADDRESS", "STATE", "LAST SYNC", "BEHIND", "AHEAD", "IN", "OUT", "LAST ERROR"]] + report.peers.map { p in
            [String(p.id.prefix(7)), p.name, p.address ?? "(inbound)", p.connected ? "up \(p.direction ?? "")" : "down",
             p.lastSync.map { Self.ago($0) } ?? "never", "\(p.behind)", "\(p.ahead)", Self.bytes(p.bytesIn), Self.bytes(p.bytesOut),
             p.lastError ?? ""]
        }
        let widths = (0..<rows[0].count).map { i in rows.map { $0[i].count }.max()! }
        for row in rows {
            print(row.enumerated().map { i, cell in i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  "))
        }
    }

    static func ago(_ millis: Int64) -> String {
        let s = max(0, Int(Date().timeIntervalSince1970) - Int(millis / 1000))
        return s < 120 ? "\(s)s ago" : s < 7200 ? "\(s / 60)m ago" : "\(s / 3600)h ago"
    }

    static func bytes(_ n: UInt64) -> String {
        n < 10_000 ? "\(n) B" : n < 10_000_000 ? "\(n / 1024) KiB" : "\(n / 1_048_576) MiB"
    }
}

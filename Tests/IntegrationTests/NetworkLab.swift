import Foundation

/// Network namespaces for the network-fault tests, made by the test itself: namespace *i* is
/// joined to the test's own (root) namespace by a veth pair, `10.<net>.<i>.1` on the root side and
/// `10.<net>.<i>.2` inside. A node runs inside its namespace; whatever it sends crosses a real veth
/// link and that namespace's own iptables, which drop packets at random for loss
/// (`-m statistic`). Latency, jitter and partitions are made by ``FaultRelay`` on the root side,
/// because this kernel has no `netem` queueing discipline.
final class NetworkLab: @unchecked Sendable {
    let tag: String
    let count: Int
    let net: Int
    private var made: [String] = []

    /// Why namespaces cannot be used here, or nil when they can.
    static var unavailable: String? {
        let probe = "coalition-probe-\(getpid())"
        guard run(["ip", "netns", "add", probe]) == 0 else { return "cannot create a network namespace ('ip netns add' failed: root or CAP_SYS_ADMIN is needed, and iproute2)" }
        defer { _ = run(["ip", "netns", "del", probe]) }
        guard run(["ip", "netns", "exec", probe, "iptables", "-L", "INPUT", "-n"]) == 0 else { return "iptables does not work inside a network namespace (Debian's iptables package)" }
        return nil
    }

    init(count: Int) throws {
        self.count = count
        tag = "cf" + String(UInt32.random(in: 0..<0xffff), radix: 16)
        net = Int.random(in: 100...250)
        do {
            for i in 0..<count {
                let ns = namespace(i)
                try Self.must(["ip", "netns", "add", ns])
                made.append(ns)
                try Self.must(["ip", "link", "add", "\(tag)a\(i)", "type", "veth", "peer", "name", "\(tag)b\(i)"])
                try Self.must(["ip", "link", "set", "\(tag)b\(i)", "netns", ns])
                try Self.must(["ip", "addr", "add", "\(rootAddress(i))/24", "dev", "\(tag)a\(i)"])
                try Self.must(["ip", "link", "set", "\(tag)a\(i)", "up"])
                try Self.must(["ip", "netns", "exec", ns, "ip", "addr", "add", "\(address(i))/24", "dev", "\(tag)b\(i)"])
                try Self.must(["ip", "netns", "exec", ns, "ip", "link", "set", "\(tag)b\(i)", "up"])
                try Self.must(["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"])
            }
        } catch {
            shutdown()
            throw error
        }
    }

    func namespace(_ i: Int) -> String { "\(tag)n\(i)" }
    /// The node's address inside namespace `i`.
    func address(_ i: Int) -> String { "10.\(net).\(i).2" }
    /// The root side of namespace `i`'s link, where the relays for its outgoing connections listen.
    func rootAddress(_ i: Int) -> String { "10.\(net).\(i).1" }
    /// The command prefix that runs a program inside namespace `i`.
    func wrapper(_ i: Int) -> [String] { ["/usr/sbin/ip", "netns", "exec", namespace(i)] }

    /// Drops this fraction of the packets every namespace receives (data and acknowledgements),
    /// or stops dropping (0).
    func setLoss(_ fraction: Double) throws {
        for i in 0..<count {
            _ = Self.run(["ip", "netns", "exec", namespace(i), "iptables", "-F", "INPUT"])
            if fraction > 0 {
                try Self.must(["ip", "netns", "exec", namespace(i), "iptables", "-A", "INPUT", "-m", "statistic", "--mode", "random",
                               "--probability", String(fraction), "-j", "DROP"])
            }
        }
    }

    func shutdown() {
        // Deleting a namespace deletes its end of the veth pair, and with it the root end.
        for ns in made { _ = Self.run(["ip", "netns", "del", ns]) }
        made = []
    }

    deinit { shutdown() }

    @discardableResult
    static func run(_ arguments: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    static func must(_ arguments: [String]) throws {
        guard run(arguments) == 0 else { throw LabError(command: arguments.joined(separator: " ")) }
    }

    struct LabError: Error, CustomStringConvertible {
        let command: String
        var description: String { "network lab: '\(command)' failed" }
    }
}

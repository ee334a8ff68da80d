import CoalitionNode
import Foundation
import Testing

/// Real `coalition run` processes on loopback, each in its own data directory, with short
/// gossip timers. Every node accepts every other as a member; `link` decides who dials whom.
final class TestMesh: @unchecked Sendable {
    let root: String
    private(set) var nodes: [String: TestNode] = [:]

    init() {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-mesh-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { shutdown() }

    /// Creates a node (not started) and makes it and every existing node accept each other.
    /// With `host`, the node listens there (an address inside a network namespace).
    @discardableResult
    func add(_ name: String, host: String = "127.0.0.1", port: Int? = nil) throws -> TestNode {
        let node = try TestNode(name: name, dir: root + "/" + name, port: port ?? Self.freePort(), host: host)
        for other in nodes.values {
            try node.cli(["members", "add", other.id, "--name", other.name]).check()
            try other.cli(["members", "add", node.id, "--name", node.name]).check()
        }
        nodes[name] = node
        return node
    }

    /// A line A ← B ← C (B dials A, C dials B), not started.
    static func line() throws -> (mesh: TestMesh, a: TestNode, b: TestNode, c: TestNode) {
        let mesh = TestMesh()
        let a = try mesh.add("A"), b = try mesh.add("B"), c = try mesh.add("C")
        try mesh.link("B", "A")
        try mesh.link("C", "B")
        return (mesh, a, b, c)
    }

    /// `dialer` dials `listener`.
    func link(_ dialer: String, _ listener: String) throws {
        let l = nodes[listener]!
        try nodes[dialer]!.cli(["peers", "add", l.id, "127.0.0.1:\(l.port)"]).check()
    }

    func shutdown() {
        for n in nodes.values { n.stop() }
        try? FileManager.default.removeItem(atPath: root)
    }

    /// A port nothing listens on now.
    static func freePort() -> Int { LoopbackPort.free() }
}

/// Whether every node holds `entries` entries and all show one state digest.
func converged(_ nodes: [TestNode], entries: Int) throws -> Bool {
    let reports = try nodes.map { try $0.status() }
    return reports.allSatisfy { $0.entries == entries && $0.stateDigest == reports[0].stateDigest }
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(_ what: String, within seconds: Double = 120, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if (try? condition()) == true { return }
        usleep(100_000)
    }
    Issue.record("timed out after \(Int(seconds)) s waiting for: \(what)")
    throw CancellationError()
}

/// Polls `condition` until it holds or `seconds` pass, sleeping between polls without holding a
/// thread of the cooperative pool (two on two cores): long waits in async tests use this, so
/// that the async tests beside them (live servers, raw peers) keep their threads.
func waitFor(_ what: String, within seconds: Double = 120, _ condition: () throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if (try? condition()) == true { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out after \(Int(seconds)) s waiting for: \(what)")
    throw CancellationError()
}

/// One node: its data directory, and its `coalition run` process while started.
final class TestNode: @unchecked Sendable {
    let name: String
    let dir: String
    let port: Int
    let id: String
    /// The HTTP API's port.
    let apiPort: Int
    private var process: Process?
    var logPath: String { dir + ".log" }

    init(name: String, dir: String, port: Int, host: String = "127.0.0.1") throws {
        self.name = name
        self.dir = dir
        self.port = port
        let runner = CLIRunner()
        try runner.run(["init", "--name", name, "--listen", "\(host):\(port)"], dataDir: dir).check()
        id = try runner.run(["id"], dataDir: dir).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // Short timers so that tests of anti-entropy and reconnection run in seconds.
        let path = dir + "/coalition.yaml"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        apiPort = TestMesh.freePort()
        text = text.replacingOccurrences(of: "antiEntropySeconds: 30", with: "antiEntropySeconds: 1")
            .replacingOccurrences(of: "keepAliveSeconds: 15", with: "keepAliveSeconds: 5")
            .replacingOccurrences(of: "reconnectMaxSeconds: 60", with: "reconnectMaxSeconds: 1")
            .replacingOccurrences(of: "listen: \"127.0.0.1:7421\"", with: "listen: \"127.0.0.1:\(apiPort)\"")
            // A debug build on a loaded machine: a request that waits for a core is not a hung one.
            .replacingOccurrences(of: "requestTimeoutSeconds: 30", with: "requestTimeoutSeconds: 600")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @discardableResult
    func cli(_ args: [String]) throws -> CLIRunner.Result {
        try CLIRunner().run(args, dataDir: dir)
    }

    func start(extraArguments: [String] = []) throws {
        try spawn(extraArguments: extraArguments)
        try eventually("\(name) answers on its admin socket", within: 120) { (try? status()) != nil }
    }

    /// ``start(extraArguments:)`` for async tests: waits without holding a cooperative thread.
    func launch(extraArguments: [String] = []) async throws {
        try spawn(extraArguments: extraArguments)
        // Generous: the suite starts most of its node processes in its first minute, on two cores.
        try await waitFor("\(name) answers on its admin socket", within: 120) { (try? status()) != nil }
    }

    /// Starts `coalition run` without waiting for it to answer. With `shell`, the node runs as
    /// `sh -c "<shell> exec coalition run …"` (for `ulimit`, `unshare` and the like), and
    /// `dataDir` may name where that shell puts the data directory. With `wrapper`, the node
    /// runs as `wrapper… coalition run …` (for `ip netns exec <ns>`).
    func spawn(extraArguments: [String] = [], shell: String? = nil, dataDir: String? = nil, wrapper: [String] = [],
               environment: [String: String] = [:]) throws {
        let p = Process()
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let arguments = ["run", "--data-dir", dataDir ?? dir, "--log-level", "debug"] + extraArguments
        if let command = wrapper.first {
            p.executableURL = URL(fileURLWithPath: command)
            p.arguments = Array(wrapper.dropFirst()) + [CLIRunner.binary] + arguments
        } else if let shell {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", shell + " exec \"$0\" \"$@\"", CLIRunner.binary] + arguments
        } else {
            p.executableURL = URL(fileURLWithPath: CLIRunner.binary)
            p.arguments = arguments
        }
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        process = p
    }

    /// The running process's ID.
    var pid: Int32? { process.flatMap { $0.isRunning ? $0.processIdentifier : nil } }

    /// SIGKILL, as an OOM kill or a power cut would end it, and wait for the process to go.
    func kill9() {
        guard let p = process else { return }
        process = nil
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// SIGTERM, then wait for a graceful exit; returns the exit status (nil if it had to be killed).
    /// The wait is generous (a debug build on a loaded machine shuts down slowly); only a node
    /// that hangs on shutdown reaches it, and the end of its log is then printed.
    @discardableResult
    func stop() -> Int32? {
        guard let p = process else { return nil }
        process = nil
        if p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            print("node \(dir) did not stop within 120 s of SIGTERM; its log ends:\n" + log.split(separator: "\n").suffix(30).joined(separator: "\n"))
            return nil
        }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Sends a signal to the running node.
    func signal(_ sig: Int32) {
        if let p = process { kill(p.processIdentifier, sig) }
    }

    /// Rewrites part of coalition.yaml by hand (as an admin would, before a SIGHUP).
    func editConfiguration(replacing old: String, with new: String) throws {
        let path = dir + "/coalition.yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains(old) else { throw CocoaError(.fileReadCorruptFile) }
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    var exitStatus: Int32? { process.flatMap { $0.isRunning ? nil : $0.terminationStatus } }

    func status() throws -> NodeDaemon.StatusReport {
        let r = try cli(["status", "--json"])
        guard r.status == 0 else { throw CocoaError(.fileReadUnknown) }
        return try JSONDecoder().decode(NodeDaemon.StatusReport.self, from: Data(r.stdout.utf8))
    }

    /// Publishes a trend signal; returns its ID.
    @discardableResult
    func publish(_ value: String) throws -> String {
        let out = try cli(["publish", "--kind", "trend", "--value", value, "--category", "protection_of_minors/unsafe_challenges"]).check().stdout
        return String(out.split(separator: " ")[2])
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

extension CLIRunner.Result {
    @discardableResult
    func check(_ sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRunner.Result {
        if status != 0 {
            Issue.record("command failed (\(status)): \(stderr)", sourceLocation: sourceLocation)
            throw CocoaError(.executableLoad)
        }
        return self
    }
}

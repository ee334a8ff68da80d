import CoalitionTestSupport
import Foundation
import GRDB
import Testing

/// Storage faults beyond a plain full disk (HostileInputTests.fullDisk): a data directory that
/// turns read-only under a running node, and ENOSPC in the middle of a WAL checkpoint. The node
/// runs in a mount namespace of the test's own, so nothing outside the test is remounted.
extension HostileInputTests {
    /// Publishes one trend through the API.
    func publishRaw(_ s: Served, _ value: String) throws -> RawResponse? {
        let body = "{\"kind\":\"trend\",\"value\":\"\(value)\",\"category\":\"protection_of_minors/unsafe_challenges\"}"
        return try rawExchange(port: s.node.apiPort, Array("POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(s.token)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
    }

    /// One SQL statement run by Python's sqlite3 inside the mount namespace of `ns` (SQLite
    /// resolves /proc/<pid>/root, so it cannot reach the file from outside): the first row, or
    /// "error: …".
    func sqliteInside(_ ns: Process, _ path: String, _ sql: String) throws -> String {
        let script = "import sqlite3, sys\ntry:\n    print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())\nexcept Exception as e:\n    print('error:', e)"
        let r = try runPython(["-c", "import subprocess, sys; r = subprocess.run(['nsenter', '--target', sys.argv[1], '--mount', sys.executable, '-c', sys.argv[2], sys.argv[3], sys.argv[4]], capture_output=True, text=True); print(r.stdout.strip() or r.stderr.strip())",
                               "\(ns.processIdentifier)", script, path, sql])
        return r.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs a command and returns its exit status.
    @discardableResult
    func sh(_ command: String) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", command]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        guard (try? p.run()) != nil else { return -1 }
        let said = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus != 0 { print("sh: \(command): exit \(p.terminationStatus): \(String(decoding: said, as: UTF8.self))") }
        return p.terminationStatus
    }

    /// A process that holds a mount namespace open (`unshare --mount`, then `setup`, then sleep),
    /// so that its mounts outlive the node processes run inside it with `nsenter`.
    func mountNamespace(_ setup: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = ["--mount", "--propagation", "private", "sh", "-ec", setup + "; echo ready; exec sleep 100000"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let line = out.fileHandleForReading.availableData
        guard String(decoding: line, as: UTF8.self).contains("ready") else {
            p.terminate()
            throw CocoaError(.executableLoad)
        }
        return p
    }

    @Test("a read-only data directory: the node will not start and the CLI will not publish, each saying why; nothing in it changes")
    func readOnlyDataDirectory() async throws {
        try await integrationTest {
            guard geteuid() == 0 else {
                Issue.record("mounting needs root (CI runs as root)")
                return
            }
            let s = try served()
            defer { s.mesh.shutdown() }
            s.node.stop()
            let dir = s.node.dir
            let before = try s.node.cli(["export"]).check().stdout
            // (Linux refuses to make a mount read-only while a process holds files on it open for
            // writing, so a running node cannot be switched; the kernel does that only on I/O
            // errors. The node's answer then is a 503 naming it, from the same classification.)
            let ns = try mountNamespace("mount --bind \(dir) \(dir); mount -o remount,ro,bind \(dir)")
            defer { ns.terminate() }
            let enter = ["/usr/bin/nsenter", "--target", "\(ns.processIdentifier)", "--mount"]
            try s.node.spawn(wrapper: enter)
            try await waitFor("the node refuses to start") { s.node.exitStatus != nil }
            #expect(s.node.exitStatus != 0)
            #expect(s.node.log().contains("is on a read-only file system"), "\(s.node.log().suffix(600))")
            let publish = try runPython(["-c", "import subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); print(r.returncode, r.stderr)"]
                + enter + [CLIRunner.binary, "publish", "--kind", "trend", "--value", "#x", "--category", "protection_of_minors", "--data-dir", dir])
            #expect(!publish.output.hasPrefix("0 ") && publish.output.contains("read-only file system"), "\(publish.output)")
            ns.terminate()
            ns.waitUntilExit()
            #expect(try s.node.cli(["export"]).check().stdout == before, "nothing in the directory changed")
            #expect(try CrashSuiteTests.integrity(s.node) == "ok")
        }
    }

    @Test("ENOSPC in the middle of a WAL checkpoint loses nothing: the WAL is kept, the node serves on, and a checkpoint completes once space returns")
    func fullDiskDuringCheckpoint() async throws {
        try await integrationTest {
            guard geteuid() == 0 else {
                Issue.record("mounting a tmpfs needs root (CI runs as root)")
                return
            }
            let s = try served()
            defer { s.mesh.shutdown() }
            s.node.stop()
            let mount = s.mesh.root + "/ckpt"
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            let ns = try mountNamespace("mount -t tmpfs -o size=96m tmpfs \(mount); cp -a \(s.node.dir) \(mount)/node")
            defer { ns.terminate() }
            let enter = ["/usr/bin/nsenter", "--target", "\(ns.processIdentifier)", "--mount"]
            let inside = "/proc/\(ns.processIdentifier)/root\(mount)"
            try s.node.spawn(dataDir: mount + "/node", wrapper: enter)
            try await waitFor("the node answers /healthz") {
                try rawExchange(port: s.node.apiPort, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))?.status == 200
            }
            // 12,000 signals go into the WAL (under its 32 MiB checkpoint threshold); the node
            // keeps the database open, so the importer's exit does not checkpoint.
            let rows = 12_000
            let csv = s.mesh.root + "/signals.csv"
            try ("kind,value,category\n" + (0..<rows).map { "trend,#ckpt\($0),protection_of_minors/unsafe_challenges\n" }.joined())
                .write(toFile: csv, atomically: true, encoding: .utf8)
            let imported = sh("\(enter.joined(separator: " ")) \(CLIRunner.binary) import \(csv) --data-dir \(mount)/node")
            #expect(imported == 0)
            let wal = inside + "/node/coalition.sqlite-wal"
            let walBytes = (try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
            #expect(walBytes > 1 << 20, "the import's pages are in the WAL: \(walBytes) bytes")
            // Fill the disk, then checkpoint, as the node's writer does once the WAL reaches its
            // threshold: copying the WAL's pages into the growing database file runs out of space.
            sh("dd if=/dev/zero of=\(inside)/filler bs=64k 2>/dev/null || true")
            let checkpoint = try sqliteInside(ns, mount + "/node/coalition.sqlite", "PRAGMA wal_checkpoint(TRUNCATE)")
            #expect(checkpoint.contains("full"), "the checkpoint hit ENOSPC: \(checkpoint)")
            let kept = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
            #expect(kept >= walBytes, "the WAL survives the failed checkpoint (\(kept) bytes)")
            try stillServes(s)
            #expect(s.node.stop() == 0)

            // Space returns; the next start checkpoints, and every signal is there.
            try FileManager.default.removeItem(atPath: inside + "/filler")
            try s.node.spawn(dataDir: mount + "/node", wrapper: enter)
            try await waitFor("the node restarts") {
                try rawExchange(port: s.node.apiPort, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))?.status == 200
            }
            #expect(s.node.stop() == 0)
            #expect(try sqliteInside(ns, mount + "/node/coalition.sqlite", "PRAGMA wal_checkpoint(TRUNCATE)").hasPrefix("(0,"),
                    "with space, a checkpoint completes")
            #expect(try sqliteInside(ns, mount + "/node/coalition.sqlite", "PRAGMA integrity_check") == "('ok',)")
            #expect(try sqliteInside(ns, mount + "/node/coalition.sqlite", "SELECT count(*) FROM entry") == "(\(rows + 1),)")
        }
    }
}

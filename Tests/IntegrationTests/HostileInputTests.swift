import CoalitionTestSupport
import CoalitionNode
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a real `coalition run` does with hostile or broken HTTP clients, a full disk and a
/// process out of file descriptors: a specific problem+json answer or a closed connection,
/// nothing stored lost, everyone else still served.
@Suite(.serialized) struct HostileInputTests {
    /// A started node with one published trend and a lookup+publish token.
    struct Served {
        let mesh: TestMesh
        let node: TestNode
        let token: String
    }

    func served(configure: (TestNode) throws -> Void = { _ in }) throws -> Served {
        let mesh = TestMesh()
        let a = try mesh.add("A")
        try configure(a)
        let token = try a.cli(["tokens", "create", "--name", "probe", "--scope", "lookup", "--scope", "publish"]).check().stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try a.publish("#StillServed")
        try a.start()
        return Served(mesh: mesh, node: a, token: token)
    }

    /// `GET /v1/lookup` of the published trend answers 200 with it flagged.
    func stillServes(_ s: Served, _ sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try rawExchange(port: s.node.apiPort, Array("GET /v1/lookup?kind=trend&value=%23stillserved HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(s.token)\r\n\r\n".utf8))
        #expect(r?.status == 200, "lookup after the bad input: \(String(describing: r?.status))", sourceLocation: sourceLocation)
        let body = String(decoding: r?.body ?? [], as: UTF8.self)
        #expect(body.contains("\"flagged\":true"), sourceLocation: sourceLocation)
    }

    @Test("malformed HTTP gets a specific problem+json answer naming the field; the node keeps serving and keeps its data")
    func malformedRequests() async throws {
        try await integrationTest {
            let s = try served()
            defer { s.mesh.shutdown() }
            let auth = "Authorization: Bearer \(s.token)\r\n"
            struct Case {
                var name: String
                var request: [UInt8]
                var status: Int
                var field: String?
            }
            func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
            let post = "POST /v1/lookup HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Type: application/json\r\n"
            var bad: [Case] = [
                Case(name: "malformed chunk size", request: bytes(post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"), status: 400, field: "body"),
                Case(name: "declared length over the limit, body not sent", request: bytes(post + "Content-Length: 3000000\r\n\r\n"), status: 413, field: "body"),
                Case(name: "oversized headers", request: bytes("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100_000) + "\r\n\r\n"),
                     status: 431, field: "headers"),
                Case(name: "NUL in the path", request: bytes("GET /healthz") + [0] + bytes(" HTTP/1.1\r\nHost: x\r\n\r\n"), status: 400, field: "path"),
                Case(name: "raw 0xFF in the path", request: bytes("GET /health") + [0xFF] + bytes("z HTTP/1.1\r\nHost: x\r\n\r\n"), status: 400, field: "path"),
                Case(name: "NUL in a header value", request: bytes("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a") + [0] + bytes("b\r\n\r\n"), status: 400, field: "headers"),
            ]
            for value in ["1", "TRUE", "yes", "maybe"] {
                for path in ["/v1/lookup?kind=trend&value=%23x&", "/v1/signals?"] {
                    bad.append(Case(name: "includeInactive=\(value) on \(path)", request: bytes("GET \(path)includeInactive=\(value) HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n"),
                                    status: 400, field: "includeInactive"))
                }
            }
            for c in bad {
                // 10 s: the declared-length case used to wait 30 s for the body before answering.
                let r = try rawExchange(port: s.node.apiPort, c.request, timeout: 10)
                #expect(r?.status == c.status, "\(c.name): status \(String(describing: r?.status))")
                let problem = r?.problem
                #expect(problem != nil, "\(c.name): no problem+json body")
                #expect(problem?["status"] as? Int == c.status, "\(c.name)")
                let detail = problem?["detail"] as? String ?? ""
                #expect(detail.count > 10, "\(c.name): no detail")
                #expect(problem?["field"] as? String == c.field, "\(c.name): field \(String(describing: problem?["field"]))")
            }
            // Garbage pipelined after a good request: the good one is answered first, then the problem.
            let c = try RawConnection(port: s.node.apiPort, timeout: 10)
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n")
            let both = String(decoding: c.readAll(), as: UTF8.self)
            #expect(both.hasPrefix("HTTP/1.1 200"), "\(both.prefix(200))")
            #expect(both.contains("HTTP/1.1 400") && both.contains("\"field\":\"method\""), "\(both)")
            try stillServes(s)
            #expect(try s.node.status().entries == 1)
        }
    }

    @Test("connections that trickle their headers are closed after headerTimeoutSeconds; others are served meanwhile")
    func slowHeaders() async throws {
        try await integrationTest {
            raiseOwnFileLimit()
            let s = try served { try $0.editConfiguration(replacing: "headerTimeoutSeconds: 10", with: "headerTimeoutSeconds: 2") }
            defer { s.mesh.shutdown() }
            let slow = try (0..<300).map { _ in try RawConnection(port: s.node.apiPort) }
            for c in slow { c.send("GET /healthz HTTP/1.1\r\nX-Slow: ") }
            let start = Date()
            var open = slow.count
            while open > 0 && Date().timeIntervalSince(start) < 60 {
                for c in slow where !c.peerClosed { c.send("a") }
                open = slow.filter { !$0.peerClosed }.count
                if open > 0 { usleep(500_000) }
            }
            #expect(open == 0, "\(open) of 300 trickling connections still open after \(Int(Date().timeIntervalSince(start))) s")
            try stillServes(s)
        }
    }

    @Test("after a response, a keep-alive connection that trickles its next head is closed after idleTimeoutSeconds, not the longer header deadline")
    func slowNextHead() async throws {
        try await integrationTest {
            let s = try served {
                try $0.editConfiguration(replacing: "idleTimeoutSeconds: 60", with: "idleTimeoutSeconds: 2")
                try $0.editConfiguration(replacing: "headerTimeoutSeconds: 10", with: "headerTimeoutSeconds: 30")
            }
            defer { s.mesh.shutdown() }
            let c = try RawConnection(port: s.node.apiPort, timeout: 10)
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(RawResponse(c.read(until: RawResponse.isComplete, within: 60))?.status == 200)
            c.send("GET /healthz HTTP/1.1\r\nX-Slow: ")
            let start = Date()
            while !c.peerClosed && Date().timeIntervalSince(start) < 25 {
                c.send("a")
                usleep(500_000)
            }
            let after = Date().timeIntervalSince(start)
            #expect(c.peerClosed, "still open after \(Int(after)) s")
            #expect(after < 20, "closed after \(after) s, not about 2 s")
        }
    }

    @Test("out of file descriptors under 'ulimit -n 64' with 200 connections: no spinning core, one log line, recovery")
    func fileDescriptorExhaustion() async throws {
        try await integrationTest {
            raiseOwnFileLimit()
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            try a.spawn(shell: "ulimit -n 64 &&")
            try eventually("the node answers /healthz", within: 120) { try rawExchange(port: a.apiPort, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))?.status == 200 }
            let pid = try #require(a.pid)
            let flood = try (0..<200).map { _ in try RawConnection(port: a.apiPort) }
            try eventually("the node runs out of descriptors", within: 60) { a.log().contains("out of file descriptors") }
            guard FileManager.default.fileExists(atPath: "/proc/\(pid)/stat") else {
                Issue.record("the node exited while out of descriptors; its log ends with:\n\(a.log().suffix(3000))")
                return
            }
            let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
            /// The node's CPU ticks; its log is recorded if it has exited.
            func ticks() throws -> Int {
                do { return try cpuTicks(pid) } catch {
                    Issue.record("the node exited while out of descriptors (status \(String(describing: a.exitStatus))); its log ends with:\n\(a.log().suffix(3000))")
                    throw error
                }
            }
            let before = try ticks(), began = Date()
            usleep(3_000_000)
            let used = Double(try ticks() - before) / ticksPerSecond / Date().timeIntervalSince(began)
            #expect(used < 0.2, "the node used \(Int(used * 100))% of a core while out of descriptors")
            for c in flood { c.close() }
            try eventually("the node serves again after the flood", within: 120) {
                try rawExchange(port: a.apiPort, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))?.status == 200
            }
            let log = a.log()
            #expect(log.components(separatedBy: "out of file descriptors").count - 1 == 1, "logged more than once")
            try eventually("the recovery is logged", within: 60) { a.log().contains("accepting connections again") }
            let metrics = try rawExchange(port: a.apiPort, Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            let failures = String(decoding: metrics?.body ?? [], as: UTF8.self).split(separator: "\n")
                .first { $0.hasPrefix("coalition_accept_failures ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            #expect((failures ?? 0) >= 1, "coalition_accept_failures: \(String(describing: failures))")
        }
    }

    @Test("revoking a token ends its open /v1/stream within about a second, with a 'revoked' event")
    func revokedStream() async throws {
        try await integrationTest {
            let s = try served()
            defer { s.mesh.shutdown() }
            let watcher = try s.node.cli(["tokens", "create", "--name", "watcher", "--scope", "lookup"]).check().stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let c = try RawConnection(port: s.node.apiPort, timeout: 20)
            c.send("GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(watcher)\r\n\r\n")
            let head = String(decoding: c.read(until: { String(decoding: $0, as: UTF8.self).contains("event: added") }, within: 60), as: UTF8.self)
            #expect(head.hasPrefix("HTTP/1.1 200") && head.contains("event: added"), "\(head.prefix(300))")
            try s.node.cli(["tokens", "revoke", "watcher"]).check()
            let revokedAt = Date()
            // The revoked event, then the end of the stream (the chunked body's last chunk).
            let rest = String(decoding: c.read(until: { bytes in
                let text = String(decoding: bytes, as: UTF8.self)
                return text.contains("event: revoked") && text.contains("0\r\n\r\n")
            }, within: 15), as: UTF8.self)
            let ended = Date().timeIntervalSince(revokedAt)
            #expect(rest.contains("event: revoked") && rest.contains("\"status\":401"), "\(rest.prefix(300))")
            #expect(rest.contains("0\r\n\r\n"), "the stream did not end after the revoked event")
            // The token cache trusts a token for a second; the stream checks it every 200 ms.
            #expect(ended < 10, "the stream ended \(ended) s after the revocation")
            let again = try rawExchange(port: s.node.apiPort, Array("GET /v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(watcher)\r\n\r\n".utf8))
            #expect(again?.status == 401 && again?.problem != nil)
        }
    }

    @Test("a full disk answers 507 problem+json; what was stored stays, reads go on, nothing is half-stored, and publishing recovers when space returns")
    func fullDisk() async throws {
        try await integrationTest {
            let s = try served()
            defer { s.mesh.shutdown() }
            s.node.stop()
            // The node runs in a mount namespace of its own, on a copy of its data directory in a
            // small tmpfs that is then filled but for 192 KiB.
            let mount = s.mesh.root + "/tmpfs"
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            let unshare = geteuid() == 0 ? "unshare --mount" : "unshare --mount --map-root-user"
            // The inner shell gets the binary and its arguments as "$0" "$@" from the outer one.
            let inner = "mount -t tmpfs -o size=8m tmpfs \(mount); cp -a \(s.node.dir) \(mount)/node; "
                + "avail=$(df -k --output=avail \(mount) | tail -1); "
                + "dd if=/dev/zero of=\(mount)/filler bs=1k count=$((avail - 192)) 2>/dev/null; exec \"$0\" \"$@\""
            try s.node.spawn(shell: "exec \(unshare) sh -ec '\(inner)' \"$0\" \"$@\";", dataDir: mount + "/node")
            try eventually("the node on the small disk answers", within: 120) {
                try rawExchange(port: s.node.apiPort, Array("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".utf8))?.status == 200
            }
            var refused: RawResponse?
            var refusedValue = ""
            for i in 0..<200 {
                let note = String(repeating: "x", count: 900)
                let body = "{\"kind\":\"trend\",\"value\":\"#fill\(i)\",\"category\":\"protection_of_minors/unsafe_challenges\",\"note\":\"\(note)\"}"
                let r = try rawExchange(port: s.node.apiPort, Array("POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(s.token)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
                if r?.status != 201 {
                    refused = r
                    refusedValue = "%23fill\(i)"
                    break
                }
            }
            let r = try #require(refused, "the disk never filled")
            #expect(r.status == 507, "status \(r.status): \(String(decoding: r.body, as: UTF8.self))")
            #expect((r.problem?["detail"] as? String)?.contains("disk is full") == true)
            try stillServes(s)
            let lookup = try rawExchange(port: s.node.apiPort, Array("GET /v1/lookup?kind=trend&value=\(refusedValue) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(s.token)\r\n\r\n".utf8))
            #expect(lookup?.status == 200)
            let answer = String(decoding: lookup?.body ?? [], as: UTF8.self)
            #expect(answer.contains("\"flagged\":false"), "the refused signal is visible: \(answer.prefix(300))")
            #expect(s.node.log().contains("disk is full"))
            // Space returns (the filler is removed, through the node's own view of its mount
            // namespace): the same publish now succeeds, with no restart.
            let pid = try #require(s.node.pid)
            try FileManager.default.removeItem(atPath: "/proc/\(pid)/root\(mount)/filler")
            let body = "{\"kind\":\"trend\",\"value\":\"\(refusedValue.replacingOccurrences(of: "%23", with: "#"))\",\"category\":\"protection_of_minors/unsafe_challenges\"}"
            let retried = try rawExchange(port: s.node.apiPort, Array("POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(s.token)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
            #expect(retried?.status == 201, "after space returned: \(String(describing: retried?.status))")
            // And the store is sound: SQLite's own check, run inside the node's mount namespace.
            let check = try runPython(["-c", """
                import subprocess, sys
                script = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])"
                out = subprocess.run(["nsenter", "--target", sys.argv[1], "--mount", sys.executable, "-c", script, sys.argv[2]], capture_output=True, text=True)
                print(out.stdout.strip() or out.stderr.strip())
                """, "\(pid)", mount + "/node/coalition.sqlite"])
            #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "\(check.output)")
        }
    }

    /// utime + stime of a process, in clock ticks.
    func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
        return Int(fields[11])! + Int(fields[12])!
    }

    /// Lets this test process hold a few hundred sockets.
    func raiseOwnFileLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, 4096))
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

import CoalitionTestSupport
import Foundation
import Testing


extension AlertingIntegration {
    /// Rules and signed webhooks across a real mesh: `coalition run` processes in an A–B–C line,
    /// real TLS gossip, and a Python receiver that checks every delivery with `standardwebhooks`.
    @Suite struct AlertingTests {
        /// Adds an endpoint at `node` and returns its secret (printed once).
        static func addEndpoint(_ node: TestNode, _ name: String, _ url: String) throws -> String {
            try node.cli(["webhooks", "add", name, url]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test("a signal published at A triggers a rule at C; a retraction and a dispute trigger their own; a wrong secret fails verification")
        func rulesAcrossALine() async throws {
            try await integrationTest {
                let mesh = TestMesh()
                defer { mesh.shutdown() }
                let a = try mesh.add("a"), b = try mesh.add("b"), c = try mesh.add("c")
                try mesh.link("a", "b")
                try mesh.link("c", "b")
                let port = TestMesh.freePort()
                let secret = try Self.addEndpoint(c, "oncall", "http://127.0.0.1:\(port)/hook")
                _ = try Self.addEndpoint(c, "mislabelled", "http://127.0.0.1:\(port)/wrong")
                // The receiver checks /wrong with a secret of its own, not the endpoint's.
                let receiver = WebhookReceiver(port: port, out: mesh.root + "/deliveries.jsonl",
                                               secrets: ["/hook": secret, "/wrong": "whsec_" + Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()])
                try receiver.start()
                defer { receiver.stop() }
                try c.cli(["rules", "add", "--name", "challenges", "--event", "signal.published", "--category", "protection_of_minors",
                           "--destination", "oncall"]).check()
                try c.cli(["rules", "add", "--name", "retractions", "--event", "retracted", "--destination", "oncall"]).check()
                try c.cli(["rules", "add", "--name", "disputes", "--event", "signal.disputed", "--destination", "oncall"]).check()
                try c.cli(["rules", "add", "--name", "mislabelled", "--event", "signal.published", "--destination", "mislabelled"]).check()
                // A rule naming an endpoint that does not exist is refused, with the fix.
                let missing = try c.cli(["rules", "add", "--name", "nowhere", "--destination", "nope"])
                #expect(missing.status == 1 && missing.stderr.contains("coalition webhooks add"), "\(missing.stderr)")
                for n in [a, b, c] { try await n.launch() }

                let first = try a.publish("#blackoutchallenge")
                let second = try a.publish("#tidepodchallenge")
                try await waitFor("C's receiver has both signals, verified", within: 180) {
                    Set(receiver.verified().filter { $0.eventType == "signal.published" }.compactMap(\.signalID)) == [first, second]
                }
                try b.cli(["opine", second, "--stance", "dispute", "--note", "satire account"]).check()
                try a.cli(["retract", first, "--reason", "published by mistake"]).check()
                try await waitFor("C's receiver has the dispute and the retraction", within: 180) {
                    let v = receiver.verified()
                    return v.contains { $0.eventType == "signal.disputed" && $0.signalID == second }
                        && v.contains { $0.eventType == "signal.retracted" && $0.signalID == first }
                }
                let verified = receiver.verified()
                let dispute = try #require(verified.first { $0.eventType == "signal.disputed" })
                let data = try #require(dispute["data"] as? [String: Any])
                #expect(data["member"] as? String == b.id && data["note"] as? String == "satire account")
                #expect(Set(verified.compactMap { $0["id"] as? String }).count == verified.count, "one webhook-id per event")
                #expect(!verified.contains { $0.eventType == "signal.published" && ($0["data"] as? [String: Any]) == nil })

                // The mislabelled endpoint's deliveries fail verification and are retried, with the error shown.
                try await waitFor("the receiver refused a delivery signed with another secret", within: 180) {
                    receiver.deliveries().contains { $0["path"] as? String == "/wrong" && $0["ok"] as? Bool == false }
                }
                let refused = receiver.deliveries().filter { $0["path"] as? String == "/wrong" }
                #expect(refused.allSatisfy { $0["ok"] as? Bool == false && ($0["error"] as? String)?.contains("No matching signature") == true }, "\(refused)")
                try await waitFor("C shows the endpoint's last error", within: 30) {
                    let list = try c.cli(["webhooks", "list"]).check().stdout
                    return list.contains("mislabelled") && list.contains("HTTP 401")
                }
                let status = try c.status()
                let oncall = try #require(status.deliveries?.first { $0.endpoint == "oncall" })
                #expect(oncall.delivered >= 4 && oncall.dead == 0, "\(oncall)")
                let tested = try c.cli(["rules", "test", "challenges"]).check().stdout
                #expect(tested.contains("\n2 of ") && tested.contains("signal.published"), "\(tested)")
            }
        }

        @Test("an HTTPS endpoint whose certificate the system does not trust gets nothing, and the error says why")
        func untrustedCertificatesAreRefused() async throws {
            try await integrationTest {
                let mesh = TestMesh()
                defer { mesh.shutdown() }
                let c = try mesh.add("c")
                // A self-signed certificate for 127.0.0.1, served by openssl s_server.
                let cert = mesh.root + "/self.crt", key = mesh.root + "/self.key"
                try makeSelfSignedCertificate(cert: cert, key: key)
                let port = TestMesh.freePort()
                let server = Process()
                server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                server.arguments = ["openssl", "s_server", "-accept", String(port), "-cert", cert, "-key", key, "-www", "-quiet"]
                server.standardOutput = FileHandle.nullDevice
                server.standardError = FileHandle.nullDevice
                server.standardInput = FileHandle.nullDevice
                try server.run()
                defer {
                    kill(server.processIdentifier, SIGKILL)
                    server.waitUntilExit()
                }
                _ = try Self.addEndpoint(c, "selfsigned", "https://127.0.0.1:\(port)/hook")
                try c.cli(["rules", "add", "--name", "all", "--destination", "selfsigned"]).check()
                try await c.launch()
                try c.publish("#untrusted")
                try await waitFor("the delivery fails certificate verification", within: 180) {
                    let d = try #require(try c.status().deliveries?.first)
                    return d.pending == 1 && d.delivered == 0 && (d.lastError ?? "").contains("TLS")
                }
                let d = try #require(try c.status().deliveries?.first)
                #expect(d.lastError?.lowercased().contains("certificate") == true, "\(d)")
            }
        }
    }
}

import CoalitionTestSupport
import Foundation
import Testing


extension AlertingIntegration {
    /// The outbox under crashes and outages, with real node processes and a receiver that checks
    /// every delivery with `standardwebhooks`.
    @Suite struct WebhookCrashTests {
        @Test("kill -9 of the receiving node, 20 times during a burst of 10,000 events: every event arrives at least once")
        func killedTwentyTimesDuringABurst() async throws {
            try await integrationTest {
                let mesh = TestMesh()
                defer { mesh.shutdown() }
                let a = try mesh.add("a"), c = try mesh.add("c")
                try mesh.link("c", "a")
                let port = TestMesh.freePort()
                let secret = try AlertingTests.addEndpoint(c, "pipeline", "http://127.0.0.1:\(port)/hook")
                let receiver = WebhookReceiver(port: port, out: mesh.root + "/deliveries.jsonl", secrets: ["/hook": secret])
                try receiver.start()
                defer { receiver.stop() }
                try c.cli(["rules", "add", "--name", "all", "--event", "signal.published", "--destination", "pipeline"]).check()
                for n in [a, c] { try await n.launch() }

                let burst = 10_000
                var csv = "kind,value,category\n"
                for i in 0..<burst { csv += "trend,#crashburst\(i),protection_of_minors/unsafe_challenges\n" }
                try csv.write(toFile: mesh.root + "/burst.csv", atomically: true, encoding: .utf8)
                let burstFile = mesh.root + "/burst.csv"
                try await offCooperativePool { try a.cli(["import", burstFile]) }.check()

                func distinct() -> Set<String> { Set(receiver.verified().compactMap { $0["id"] as? String }) }
                var kills = 0
                var recoveries: [Double] = []
                // 20 in CI; the crash suite's full run (COALITION_CRASH_KILLS=50) raises it.
                let killTarget = max(20, CrashSuiteTests.kills)
                var row = CrashSuiteTests.Row(scenario: "webhook outbox")
                while kills < killTarget {
                    // A random moment: while C takes in the burst, queues its events and delivers them.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 200...1500)))
                    c.kill9()
                    kills += 1
                    row.killed(c, round: kills)
                    let down = Date()
                    try await c.launch()
                    recoveries.append(Date().timeIntervalSince(down))
                }
                try await waitFor("all \(burst) events delivered after \(kills) kills", within: 600) { distinct().count >= burst }
                let all = receiver.verified()
                let ids = distinct()
                let duplicates = all.count - ids.count
                let refused = receiver.deliveries().count - all.count
                print("webhook crash test: \(kills) kills of the receiving node, \(burst) events, \(ids.count) distinct webhook-ids delivered, "
                      + "\(duplicates) duplicates, \(refused) refused; restart to admin socket median \(String(format: "%.2f", recoveries.sorted()[recoveries.count / 2])) s")
                (row.acknowledged, row.lost, row.recoverySeconds) = (burst, burst - ids.count, recoveries)
                print(row)
                #expect(ids.count == burst, "exactly the burst's events, each at least once")
                #expect(refused == 0, "every delivery verified")
                #expect(Set(all.compactMap(\.signalID)).count == burst)
                let status = try c.status()
                #expect(status.deliveries?.first?.dead == 0 && status.deliveries?.first?.dropped == 0)
            }
        }
    }

    @Suite struct WebhookOutageTests {
        @Test("a receiver down for two minutes then gets everything, in order")
        func twoMinuteOutage() async throws {
            try await integrationTest {
                let mesh = TestMesh()
                defer { mesh.shutdown() }
                let c = try mesh.add("c")
                // Retries every few seconds at most, so the test sees the receiver back promptly.
                try c.editConfiguration(replacing: "maxBackoffSeconds: 300", with: "maxBackoffSeconds: 4")
                let port = TestMesh.freePort()
                let secret = try AlertingTests.addEndpoint(c, "queue", "http://127.0.0.1:\(port)/hook")
                let receiver = WebhookReceiver(port: port, out: mesh.root + "/deliveries.jsonl", secrets: ["/hook": secret])
                try receiver.start()
                defer { receiver.stop() }
                try c.cli(["rules", "add", "--name", "all", "--event", "published", "--event", "retracted", "--destination", "queue"]).check()
                try await c.launch()
                var published = [try c.publish("#outage-before")]
                try await waitFor("the first event arrives", within: 180) { receiver.verified().count == 1 }

                receiver.stop()
                let outage = Date()
                var i = 0
                while Date().timeIntervalSince(outage) < 120 {
                    published.append(try c.publish("#outage-\(i)"))
                    i += 1
                    try await Task.sleep(for: .seconds(4))
                }
                try c.cli(["retract", published[1], "--reason", "duplicate"]).check()
                // Everything since the outage waits (the retraction too, once queued).
                try await waitFor("\(published.count) messages wait", within: 180) { try c.status().deliveries?.first?.pending == published.count }
                let pending = try #require(try c.status().deliveries?.first)
                #expect(pending.lastError?.contains("cannot connect") == true, "\(pending)")
                try receiver.start()
                try await waitFor("everything arrives once the receiver is back", within: 120) { receiver.verified().count >= published.count + 1 }
                let got = receiver.verified()
                #expect(got.compactMap(\.signalID) == published + [published[1]], "in order: each publish, then the retraction")
                #expect(got.last?.eventType == "signal.retracted")
                #expect(Set(got.compactMap { $0["id"] as? String }).count == got.count, "no duplicates")
                print("webhook outage test: \(published.count - 1) events queued during a \(Int(Date().timeIntervalSince(outage))) s outage, all delivered in order")
            }
        }
    }
}

import CoalitionTestSupport
import Foundation
import Testing


extension AlertingIntegration {
    /// The content bank across a real mesh: C registers the fixture photos' PDQ hashes (through
    /// the API) and 100,000 more (through `coalition content import`); A publishes the original
    /// photo's hash; C's retro-match lists exactly the registered items within the distance, as a
    /// brute-force scan in this test finds them.
    @Suite struct RetroHuntTests {
        static func distance(_ a: String, _ b: String) -> Int {
            zip(Array(a.utf8), Array(b.utf8)).reduce(0) { n, pair in
                n + ((UInt8(String(UnicodeScalar(pair.0)), radix: 16)! ^ UInt8(String(UnicodeScalar(pair.1)), radix: 16)!).nonzeroBitCount)
            }
        }

        static let post = """
            import json, sys, urllib.request
            url, token, path = sys.argv[1], sys.argv[2], sys.argv[3]
            req = urllib.request.Request(url, data=open(path, "rb").read(), method="POST",
                                         headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            try:
                print(urllib.request.urlopen(req, timeout=60).read().decode())
            except urllib.error.HTTPError as e:
                print(e.code, e.read().decode())
            """

        @Test("a signal published at A lists, at C, exactly the registered near-duplicates within the distance")
        func retroMatchIsExact() async throws {
            try await integrationTest {
                let mesh = TestMesh()
                defer { mesh.shutdown() }
                let a = try mesh.add("a"), c = try mesh.add("c")
                try mesh.link("c", "a")
                let port = TestMesh.freePort()
                let secret = try AlertingTests.addEndpoint(c, "trust-safety", "http://127.0.0.1:\(port)/hook")
                let receiver = WebhookReceiver(port: port, out: mesh.root + "/deliveries.jsonl", secrets: ["/hook": secret])
                try receiver.start()
                defer { receiver.stop() }
                try c.cli(["rules", "add", "--name", "our-content", "--event", "retro.match", "--destination", "trust-safety"]).check()

                // The fixture photos' hashes, computed by C's own CLI.
                let images = MediaCLITests.media + "/images"
                let files = try FileManager.default.subpathsOfDirectory(atPath: images).filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") || $0.hasSuffix(".webp") }.sorted()
                #expect(files.count >= 20, "the shared fixtures are beside the checkout")
                let paths = files.map { images + "/" + $0 }
                let hashed = try await offCooperativePool { try CLIRunner().run(["hash", "--json"] + paths, addDataDir: false, timeout: 600) }.check().stdout
                var registered: [String: String] = [:]  // contentId → hash
                var fixtureItems: [[String: String]] = []
                for line in hashed.split(separator: "\n") {
                    let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                    let file = try #require(o["file"] as? String)
                    let hash = try #require((o["hashes"] as? [[String: Any]])?.first { $0["kind"] as? String == "pdq" }?["value"] as? String)
                    let id = "photo:" + file.replacingOccurrences(of: images + "/", with: "")
                    registered[id] = hash
                    fixtureItems.append(["contentId": id, "kind": "pdq", "value": hash])
                }
                let original = try #require(registered["photo:bridge-mods/aaa-orig.jpg"])
                // 100,000 more: random hashes, and near-duplicates of the original at every distance 0…64.
                var rng = SystemRandomNumberGenerator()
                var csv = "contentId,kind,value\n"
                for i in 0..<100_000 {
                    var bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    if i % 1000 == 0 {
                        bytes = Array(Data(hexString: original)!)
                        for bit in (0..<256).shuffled(using: &rng).prefix(i / 1000 % 65) { bytes[bit / 8] ^= 1 << (bit % 8) }
                    }
                    let hex = bytes.map { String(format: "%02x", $0) }.joined()
                    registered["upload:\(i)"] = hex
                    csv += "upload:\(i),pdq,\(hex)\n"
                }
                let csvPath = mesh.root + "/bank.csv"
                try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
                let imported = try await offCooperativePool { try c.cli(["content", "import", csvPath]) }.check().stdout
                #expect(imported.contains("100000 registered"), "\(imported)")

                let token = try c.cli(["tokens", "create", "--name", "bank", "--scope", "lookup", "--scope", "publish"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                for n in [a, c] { try await n.launch() }
                let body = mesh.root + "/items.json"
                try JSONSerialization.data(withJSONObject: ["items": fixtureItems]).write(to: URL(fileURLWithPath: body))
                let answer = try runPython(["-c", Self.post, "http://127.0.0.1:\(c.apiPort)/v1/content", token, body])
                #expect(answer.output.contains("\"registered\":\(fixtureItems.count)"), "\(answer.output)")
                // A bad item is refused with its field, and nothing of that request is registered.
                try JSONSerialization.data(withJSONObject: ["items": [["contentId": "x", "kind": "pdq", "value": "zz"]]]).write(to: URL(fileURLWithPath: body))
                let bad = try runPython(["-c", Self.post, "http://127.0.0.1:\(c.apiPort)/v1/content", token, body])
                #expect(bad.output.hasPrefix("400") && bad.output.contains("items.value"), "\(bad.output)")

                try a.cli(["publish", "--file", images + "/bridge-mods/aaa-orig.jpg", "--category", "violence"]).check()
                try await waitFor("C's receiver has the retro-match", within: 180) { !receiver.verified().filter { $0.eventType == "retro.match" }.isEmpty }
                let match = try #require(receiver.verified().first { $0.eventType == "retro.match" })
                let data = try #require(match["data"] as? [String: Any])
                let radius = try #require(data["distance"] as? Int)
                let listed = ((data["matches"] as? [[String: Any]]) ?? []).compactMap { m -> (String, Int)? in
                    guard let id = m["contentId"] as? String, let d = m["distance"] as? Int else { return nil }
                    return (id, d)
                }
                let expected = registered.filter { Self.distance($0.value, original) <= radius }
                #expect(radius == 31)
                #expect(Set(listed.map(\.0)) == Set(expected.keys), "listed \(listed.count), brute force \(expected.count)")
                #expect(listed.allSatisfy { expected[$0.0].map { Self.distance($0, original) } == $0.1 }, "each with its distance")
                #expect(listed.count == Set(listed.map(\.0)).count)
                #expect(expected.keys.contains("photo:bridge-mods/blur-a-lot.jpg") && expected.count > 10)

                // A lookup can register what it looked up; a signal published later about it is a retro-match.
                let md5 = "0123456789abcdef0123456789abcdef"
                let registeredAnswer = try runPython(["-c", Self.get, "http://127.0.0.1:\(c.apiPort)/v1/lookup?kind=md5&value=\(md5.uppercased())&register=true&contentId=video-7", token])
                #expect(registeredAnswer.output.contains("\"registered\":1"), "\(registeredAnswer.output)")
                let noScope = try c.cli(["tokens", "create", "--name", "reader", "--scope", "lookup"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                let refused = try runPython(["-c", Self.get, "http://127.0.0.1:\(c.apiPort)/v1/lookup?kind=md5&value=\(md5)&register=true&contentId=video-8", noScope])
                #expect(refused.output.hasPrefix("403"), "registering needs the publish scope: \(refused.output)")
                try a.cli(["publish", "--kind", "md5", "--value", md5, "--category", "violence"]).check()
                try await waitFor("the md5 signal's retro-match names video-7", within: 180) {
                    receiver.verified().contains { d in
                        d.eventType == "retro.match" && ((d["data"] as? [String: Any])?["matches"] as? [[String: Any]])?.map { $0["contentId"] as? String } == ["video-7"]
                    }
                }
            }
        }

        static let get = """
            import sys, urllib.request
            req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
            try:
                print(urllib.request.urlopen(req, timeout=60).read().decode())
            except urllib.error.HTTPError as e:
                print(e.code, e.read().decode())
            """
    }
}

extension Data {
    init?(hexString: String) {
        var out = [UInt8]()
        var it = hexString.utf8.makeIterator()
        while let h = it.next(), let l = it.next() {
            guard let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) else { return nil }
            out.append(v)
        }
        self.init(out)
    }
}

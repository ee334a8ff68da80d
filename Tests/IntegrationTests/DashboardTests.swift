import CoalitionTestSupport
import Foundation
import Testing

/// The dashboard under `/ui`, against real `coalition run` processes: a browser test in
/// headless Chromium (Debian's chromium and chromium-driver, driven by selenium) over a live
/// three-node mesh, and its security checks over raw HTTP.
@Suite(.serialized) struct DashboardTests {
    /// Where the browser test saves its screenshots (kept after the test, for people to look at).
    static var screenshots: String {
        ProcessInfo.processInfo.environment["COALITION_SCREENSHOTS"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/screenshots/dashboard").path
    }

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Browser/dashboard_browser.py").path
    }

    static func token(_ node: TestNode, _ name: String, _ scope: String) throws -> String {
        try node.cli(["tokens", "create", "--name", name, "--scope", scope]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `POST /v1/signals` at `node` with a JSON body; returns the new signal's ID.
    static func publish(_ node: TestNode, token: String, _ fields: [String: String]) throws -> String {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), as: UTF8.self)
        let request = "POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let r = try #require(try rawExchange(port: node.apiPort, Array(request.utf8), timeout: 120))
        try #require(r.status == 201, "publish answered \(r.status): \(String(decoding: r.body, as: UTF8.self))")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        return try #require(json["id"] as? String)
    }

    @Test("in headless Chromium over a live mesh: a wrong token is refused; log in, see the peers, open a signal from another node, set an override, watch a critical signal arrive live, log out; every page renders without JavaScript")
    func browser() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("alpha"), b = try mesh.add("bravo"), c = try mesh.add("charlie")
            try mesh.link("bravo", "alpha")
            try mesh.link("charlie", "alpha")
            try mesh.link("charlie", "bravo")
            let admin = try Self.token(a, "moderator", "admin")
            let publisher = try Self.token(c, "pipeline", "publish")
            for n in [a, b, c] { try await n.launch() }
            let value = "https://scam-\(UUID().uuidString.prefix(8).lowercased()).example/offer"
            let id = try Self.publish(c, token: publisher, ["kind": "url", "value": value, "category": "scams_and_fraud", "severity": "high",
                                                            "note": "<script>window.__coalition_xss = true</script> fake giveaway"])
            try await waitFor("alpha holds charlie's signal") { (try? a.cli(["show", id]).status) == 0 }
            let out = Self.screenshots
            try? FileManager.default.removeItem(atPath: out)
            let run = try runPython([Self.script, "--base", "http://127.0.0.1:\(a.apiPort)", "--admin-token", admin, "--peers", "bravo,charlie",
                                     "--remote-value", value, "--remote-author", "charlie", "--publish-url", "http://127.0.0.1:\(c.apiPort)",
                                     "--publish-token", publisher, "--out", out])
            print(run.output)
            #expect(run.status == 0, "the browser test failed:\n\(run.output)")
            #expect(run.output.contains("PASS"))
            for page in ["login-refused", "overview", "signals", "signal", "overrides", "live", "members", "deliveries", "report", "nojs-overview", "nojs-report"] {
                let size = (try? FileManager.default.attributesOfItem(atPath: out + "/\(page).png")[.size] as? Int) ?? 0
                #expect(size > 5_000, "screenshot \(page).png is missing or empty")
            }
            print("dashboard screenshots: \(out)")
            // The override the browser set, then cleared without JavaScript, is gone from the node too.
            let list = try #require(try rawExchange(port: a.apiPort, Array("GET /v1/overrides HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(admin)\r\n\r\n".utf8)))
            #expect(list.status == 200 && !String(decoding: list.body, as: UTF8.self).contains(value), "\(list.status) \(String(decoding: list.body, as: UTF8.self))")
        }
    }
}

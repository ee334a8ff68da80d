import CoalitionAlert
import CoalitionCore
import Testing

@Suite struct WebhookSignerTests {
    /// The example of the Standard Webhooks reference libraries (also checked against the
    /// `standardwebhooks` package from PyPI by the integration tests).
    @Test func signsAsTheStandardWebhooksReference() throws {
        let signer = try WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let sig = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body)
        #expect(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, header: "v1,bogus " + sig))
        #expect(!signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_331, body: body, header: sig))
        let other = try WebhookSigner(secret: WebhookSigner.newSecret())
        #expect(!other.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, header: sig))
    }

    @Test func newSecretsAreRandomAndUsable() throws {
        let a = WebhookSigner.newSecret(), b = WebhookSigner.newSecret()
        #expect(a != b && a.hasPrefix("whsec_"))
        _ = try WebhookSigner(secret: a)
        #expect(throws: CoalitionError.self) { try WebhookSigner(secret: "whsec_short") }
        #expect(throws: CoalitionError.self) { try WebhookSigner(secret: "not base64 at all!") }
    }

    @Test func urlsAreHTTPOrHTTPSWithAHost() throws {
        let u = try WebhookURL(parsing: "https://hooks.example.com/coalition?x=1")
        #expect(u.secure && u.port == 443 && u.target == "/coalition?x=1" && u.hostHeader == "hooks.example.com")
        let v = try WebhookURL(parsing: "http://[::1]:8080")
        #expect(!v.secure && v.host == "::1" && v.port == 8080 && v.target == "/" && v.hostHeader == "[::1]:8080")
        for bad in ["ftp://example.com/", "https:///nohost", "http://user:pw@example.com/", "example.com/hook", "http://example.com:99999/"] {
            #expect(throws: CoalitionError.self, "\(bad)") { try WebhookURL(parsing: bad) }
        }
    }

    @Test func peerWatchReportsEachTransitionOnce() {
        var w = PeerWatch()
        let up = PeerHealth(id: "p", name: "P", connected: true, behind: 0)
        var down = up
        down.connected = false
        var lag = up
        lag.behind = 5000
        #expect(w.observe([down], thresholds: [1000]).isEmpty, "never connected: not a peer going down")
        #expect(w.observe([up], thresholds: [1000]).isEmpty)
        #expect(w.observe([down], thresholds: [1000]).map(\.type) == [.peerDown])
        #expect(w.observe([down], thresholds: [1000]).isEmpty)
        #expect(w.observe([lag], thresholds: [100, 1000]).map(\.threshold) == [100, 1000])
        #expect(w.observe([lag], thresholds: [100, 1000]).isEmpty, "still behind: reported once")
        #expect(w.observe([up], thresholds: [100, 1000]).isEmpty)
        #expect(w.observe([lag], thresholds: [100, 1000]).count == 2, "behind again after catching up")
    }
}

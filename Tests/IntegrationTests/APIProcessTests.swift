import CoalitionTestSupport
import Foundation
import Testing

/// The API of a real `coalition run` process: plain HTTP by default, HTTPS when configured.
@Suite(.serialized) struct APIProcessTests {
    /// Runs a small Python client (the standard library only) and returns its output.
    func python(_ script: String, _ args: [String]) throws -> (Int32, String) {
        try runPython(["-c", script] + args)
    }

    static let client = """
        import json, ssl, sys, urllib.request
        url, token, cafile = sys.argv[1], sys.argv[2], sys.argv[3]
        ctx = ssl.create_default_context(cafile=cafile) if cafile else None
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + token})
        try:
            body = urllib.request.urlopen(req, context=ctx, timeout=10).read()
            print(json.loads(body)["results"][0]["flagged"])
        except urllib.error.HTTPError as e:
            print(e.code, e.headers.get("Content-Type"))
        except Exception as e:
            print("error", type(e).__name__)
        """

    @Test func theNodeServesItsAPIOverHTTPSWhenConfigured() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            // A self-signed certificate for 127.0.0.1, made with openssl; the key is 0600.
            let cert = try a.serveAPIOverHTTPS()
            let config = try String(contentsOfFile: a.dir + "/coalition.yaml", encoding: .utf8)
            let port = try #require(config.components(separatedBy: "listen: \"127.0.0.1:").last?.prefix { $0.isNumber })
            let token = try a.cli(["tokens", "create", "--name", "t", "--scope", "lookup"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try a.publish("#HttpsChallenge")
            try a.start()
            let url = "https://127.0.0.1:\(port)/v1/lookup?kind=trend&value=%23httpschallenge"
            let (status, out) = try python(Self.client, [url, token, cert])
            #expect(status == 0 && out.trimmingCharacters(in: .whitespacesAndNewlines) == "True", "\(out)")
            let (_, plain) = try python(Self.client, [url.replacingOccurrences(of: "https", with: "http"), token, ""])
            #expect(!plain.contains("True"), "plain HTTP is not served on the TLS port")
            let (_, unauthorized) = try python(Self.client, [url, "coal_wrong", cert])
            #expect(unauthorized.contains("401 application/problem+json"))
        }
    }

    @Test func aLooseTLSKeyIsRefusedAtStartWithTheFix() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            try "x".write(toFile: a.dir + "/api.key", atomically: true, encoding: .utf8)
            try "x".write(toFile: a.dir + "/api.crt", atomically: true, encoding: .utf8)
            chmod(a.dir + "/api.key", 0o644)
            try a.configureAPITLS()
            let r = try a.cli(["run"])
            #expect(r.status != 0)
            #expect(r.stderr.contains("chmod 600"))
        }
    }
}

import CoalitionTestSupport
import Foundation
import Testing

/// A dashboard client over raw HTTP: what a browser sends, no more, so that each refusal is
/// the node's own.
struct DashboardClient {
    let port: Int
    var cookies: [String: String] = [:]

    func cookieHeader() -> String {
        cookies.isEmpty ? "" : "Cookie: " + cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") + "\r\n"
    }

    mutating func get(_ path: String) throws -> RawResponse {
        let r = try #require(try rawExchange(port: port, Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\(cookieHeader())\r\n".utf8), timeout: 120))
        keep(r)
        return r
    }

    mutating func post(_ path: String, _ fields: [(String, String)], raw: String? = nil) throws -> RawResponse {
        let body = raw ?? fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        let request = "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\(cookieHeader())"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let r = try #require(try rawExchange(port: port, Array(request.utf8), timeout: 120))
        keep(r)
        return r
    }

    mutating func keep(_ r: RawResponse) {
        for c in r.cookies {
            let pair = c.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if pair[1].isEmpty { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = String(pair[1]) }
        }
    }

    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s
    }

    /// The `csrf` hidden field of a page.
    static func csrf(_ page: RawResponse) throws -> String {
        let text = String(decoding: page.body, as: UTF8.self)
        let marker = "name=\"csrf\" value=\""
        let start = try #require(text.range(of: marker)).upperBound
        return String(text[start...].prefix { $0 != "\"" })
    }

    /// Logs in with `token`; returns the login answer.
    mutating func login(_ token: String) throws -> RawResponse {
        let page = try get("/ui/login")
        return try post("/ui/login", [("csrf", try Self.csrf(page)), ("token", token)])
    }
}

extension RawResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}

extension DashboardTests {
    @Test("forms without their CSRF token are refused; a note's <script> is escaped; CSP and cookie flags are set; /ui refuses requests with no session, a wrong token, a revoked one and an oversized form")
    func security() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("alpha")
            let admin = try Self.token(a, "admin", "admin")
            let reader = try Self.token(a, "reader", "lookup")
            let hostile = "<script>alert(document.cookie)</script><img src=x onerror=alert(1)>"
            let published = try a.cli(["publish", "--kind", "url", "--value", "https://giveaway.example/claim", "--category", "scams_and_fraud",
                                        "--note", hostile]).check().stdout
            let id = try #require(published.split(separator: " ").first { $0.count == 64 }.map(String.init))
            try await a.launch()
            let pages = ["/ui", "/ui/signals", "/ui/signals/\(id)", "/ui/overrides", "/ui/members", "/ui/live", "/ui/live/events", "/ui/deliveries",
                         "/ui/report", "/ui/report.csv", "/ui/report.json"]

            // No session: every page sends to the login page, with nothing of its content.
            var anonymous = DashboardClient(port: a.apiPort)
            for page in pages {
                let r = try anonymous.get(page)
                #expect(r.status == 303 && r.headers["location"] == "/ui/login" && r.body.isEmpty, "\(page): \(r.status) \(r.headers)")
            }
            for (path, fields) in [("/ui/overrides", [("kind", "url"), ("value", "https://a.example/"), ("action", "ignore")]),
                                   ("/ui/members/remove", [("id", a.id), ("confirm", "yes")]), ("/ui/logout", [])] {
                let r = try anonymous.post(path, fields)
                #expect(r.status == 303 && r.headers["location"] == "/ui/login", "\(path): \(r.status)")
            }
            // A forged session cookie is no session.
            var forged = DashboardClient(port: a.apiPort, cookies: ["coalition_session": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
            #expect(try forged.get("/ui").status == 303)

            // A wrong token is refused, with no session cookie.
            var wrong = DashboardClient(port: a.apiPort)
            let refused = try wrong.login("coal_" + String(repeating: "x", count: 43))
            #expect(refused.status == 401 && refused.text.contains("Invalid or revoked token"))
            #expect(wrong.cookies["coalition_session"] == nil)
            // A login form posted without its login CSRF cookie is refused.
            var noLoginCookie = DashboardClient(port: a.apiPort)
            let page = try noLoginCookie.get("/ui/login")
            noLoginCookie.cookies = [:]
            #expect(try noLoginCookie.post("/ui/login", [("csrf", try DashboardClient.csrf(page)), ("token", admin)]).status == 403)

            // Logging in: the cookie flags, and the headers of every page.
            var client = DashboardClient(port: a.apiPort)
            let login = try client.login(admin)
            #expect(login.status == 303 && login.headers["location"] == "/ui")
            let session = try #require(login.cookies.first { $0.hasPrefix("coalition_session=") })
            #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict") && session.contains("Path=/ui"), "\(session)")
            #expect(!session.contains("Secure"), "Secure is for HTTPS; this API is plain HTTP")
            for page in pages where page != "/ui/live/events" {
                let r = try client.get(page)
                #expect(r.status == 200, "\(page): \(r.status) \(r.text.prefix(300))")
                let csp = r.headers["content-security-policy"] ?? ""
                #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'")
                        && !csp.contains("unsafe-inline"), "\(page): \(csp)")
                #expect(r.headers["x-content-type-options"] == "nosniff" && r.headers["x-frame-options"] == "DENY")
                if page.hasPrefix("/ui/report.") { continue }
                // Nothing is fetched from elsewhere.
                for marker in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "url(http", "@import"] {
                    #expect(!r.text.contains(marker), "\(page) refers to an outside asset: \(marker)")
                }
            }

            // The hostile note is shown as text, escaped, in the detail page and in a search.
            let detail = try client.get("/ui/signals/\(id)")
            #expect(detail.text.contains("&lt;script&gt;alert(document.cookie)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"))
            #expect(!detail.text.contains("<script>alert") && !detail.text.contains("<img src=x"))
            let search = try client.get("/ui/signals?q=%3Cscript%3Ealert&status=all")
            #expect(search.text.contains("value=\"&lt;script&gt;alert\"") && !search.text.contains("<script>alert"))

            // Forms need their CSRF token: missing or wrong, refused, and nothing changes.
            let csrf = try DashboardClient.csrf(detail)
            let fields = [("kind", "url"), ("value", "https://giveaway.example/claim"), ("action", "flag")]
            let missing = try client.post("/ui/overrides", fields)
            #expect(missing.status == 403 && missing.text.contains("CSRF"), "\(missing.status)")
            let forgedCSRF = try client.post("/ui/overrides", fields + [("csrf", String(csrf.reversed()))])
            #expect(forgedCSRF.status == 403)
            #expect(try a.cli(["lookup", "url", "https://giveaway.example/claim", "--json"]).check().stdout.contains("\"override\"") == false)
            let set = try client.post("/ui/overrides", fields + [("csrf", csrf)])
            #expect(set.status == 303, "\(set.status) \(set.text.prefix(300))")
            #expect(try client.get("/ui/overrides").text.contains("https://giveaway.example/claim"))
            // Logging out needs it too.
            #expect(try client.post("/ui/logout", []).status == 403)

            // A bad value is a clear error on the page, not a crash.
            let bad = try client.post("/ui/overrides", [("kind", "Not A Kind"), ("value", "x"), ("action", "ignore"), ("csrf", csrf)])
            #expect(bad.status == 400 && bad.text.contains("flash error"), "\(bad.status)")
            let badFilter = try client.get("/ui/signals?kind=NOT_A_KIND")
            #expect(badFilter.status == 400 && badFilter.text.contains("kind"))
            // An oversized form is refused.
            let big = try client.post("/ui/overrides", [], raw: "csrf=\(csrf)&note=" + String(repeating: "a", count: 70_000))
            #expect(big.status == 413, "\(big.status)")

            // A lookup token reads but does not change.
            var viewer = DashboardClient(port: a.apiPort)
            #expect(try viewer.login(reader).status == 303)
            let viewerPage = try viewer.get("/ui/overrides")
            #expect(viewerPage.status == 200)
            let denied = try viewer.post("/ui/overrides/remove", [("kind", "url"), ("value", "https://giveaway.example/claim"), ("csrf", try DashboardClient.csrf(viewerPage))])
            #expect(denied.status == 403 && denied.text.contains("admin"))

            // Revoking the token ends its sessions at the next request.
            try a.cli(["tokens", "revoke", "reader"]).check()
            #expect(try viewer.get("/ui").status == 303)

            // Adding and removing a member: a confirmation page first, then the change, applied
            // to coalition.yaml and to the running node.
            let newcomer = try TestNode(name: "newcomer", dir: mesh.root + "/newcomer", port: TestMesh.freePort())
            let ask = try client.post("/ui/members/add", [("id", newcomer.id), ("name", "newcomer"), ("address", "127.0.0.1:\(newcomer.port)"), ("csrf", csrf)])
            #expect(ask.status == 200 && ask.text.contains("id=\"confirm\"") && ask.text.contains(newcomer.id))
            #expect(try !a.cli(["members", "list"]).check().stdout.contains(newcomer.id), "nothing changes before the confirmation")
            let added = try client.post("/ui/members/add", [("id", newcomer.id), ("name", "newcomer"), ("address", "127.0.0.1:\(newcomer.port)"),
                                                             ("confirm", "yes"), ("csrf", csrf)])
            #expect(added.status == 303 && added.headers["location"] == "/ui/members?ok=member-added")
            #expect(try a.cli(["members", "list"]).check().stdout.contains(newcomer.id))
            #expect(try client.get("/ui/members").text.contains("127.0.0.1:\(newcomer.port)"))
            let badID = try client.post("/ui/members/add", [("id", "NOT-AN-ID"), ("name", "x"), ("confirm", "yes"), ("csrf", csrf)])
            #expect(badID.status == 400 && badID.text.contains("flash error"))
            let removed = try client.post("/ui/members/remove", [("id", newcomer.id), ("confirm", "yes"), ("csrf", csrf)])
            #expect(removed.status == 303)
            #expect(try !a.cli(["members", "list"]).check().stdout.contains(newcomer.id))
            #expect(a.log().contains("added member") && a.log().contains("removed member"))

            // Logging out ends the session.
            let out = try client.post("/ui/logout", [("csrf", csrf)])
            #expect(out.status == 303 && out.headers["location"] == "/ui/login")
            #expect(try client.get("/ui").status == 303)
            // The node served everyone meanwhile: the API still answers.
            #expect(try anonymous.get("/healthz").status == 200)
        }
    }

    @Test("over HTTPS the session cookie is Secure")
    func secureCookieOverHTTPS() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("alpha")
            let cert = try a.serveAPIOverHTTPS()
            let token = try Self.token(a, "admin", "admin")
            try await a.launch()
            // Python's http.client over TLS, trusting only this certificate: log in, print the cookie.
            let script = """
            import http.client, re, ssl, sys, urllib.parse
            ctx = ssl.create_default_context(cafile=sys.argv[3])
            c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[1]), context=ctx, timeout=120)
            c.request("GET", "/ui/login"); r = c.getresponse(); page = r.read().decode()
            login = r.getheader("Set-Cookie").split(";")[0]
            csrf = re.search('name="csrf" value="([^"]+)"', page).group(1)
            body = urllib.parse.urlencode({"csrf": csrf, "token": sys.argv[2]})
            c.request("POST", "/ui/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": login})
            r = c.getresponse(); r.read()
            print(r.status, [v for k, v in r.getheaders() if k.lower() == "set-cookie" and v.startswith("coalition_session=")])
            """
            let run = try runPython(["-c", script, String(a.apiPort), token, cert])
            #expect(run.status == 0 && run.output.contains("303") && run.output.contains("; Secure") && run.output.contains("HttpOnly"), "\(run.output)")
        }
    }
}

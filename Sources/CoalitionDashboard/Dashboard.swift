import CoalitionActions
import CoalitionAPI
import CoalitionCore
import CoalitionCrypto
import CoalitionQuery
import CoalitionStore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The web dashboard, served under `/ui` on the API listener: server-rendered pages that work
/// without JavaScript (the live page's updates excepted), a session cookie from an API token,
/// a CSRF token on every form, a strict Content-Security-Policy and no asset from elsewhere.
public struct Dashboard: Sendable {
    let env: DashboardEnvironment
    let sessions: SessionStore
    let overview: OverviewCache
    /// The largest form body accepted (413 beyond).
    static let maxFormBytes = 64 * 1024
    static let csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    public init(env: DashboardEnvironment) {
        self.env = env
        sessions = SessionStore()
        overview = OverviewCache(store: env.api.query.store)
    }

    /// Counts the overview once now, in the background, so that the first page does not wait.
    public func warmUp() {
        let overview = self.overview, api = env.api, logger = env.logger
        Task {
            do {
                let s = try await api.run { try overview.recount() }
                logger.info("dashboard overview counted: \(s.counts.signals) signals in \(s.took)")
            } catch {
                logger.warning("counting the dashboard overview failed (the first page counts instead): \(error)")
            }
        }
    }

    /// Adds the `/ui` routes to the API's router.
    public func addRoutes(to router: Router<APIRequestContext>) {
        let d = self
        router.get("ui/assets/style.css") { _, _ in Self.asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("ui/assets/live.js") { _, _ in Self.asset(Assets.liveJS, type: "text/javascript; charset=utf-8") }
        router.get("ui/login") { request, _ in d.loginPage(request, error: nil, status: .ok) }
        router.post("ui/login") { request, _ in await d.guarded(request) { try await d.login(request) } }
        router.post("ui/logout") { request, _ in
            await d.guarded(request) {
                let (s, _) = try await d.form(request, scope: .lookup)
                d.sessions.close(s.id)
                d.env.logger.info("dashboard logout: token '\(s.tokenName)'")
                var r = Self.redirect("/ui/login")
                r.headers.append(HTTPField(name: .setCookie, value: d.cookie(SessionStore.cookie, "", maxAge: 0)))
                return r
            }
        }
        router.get("ui") { request, _ in await d.guarded(request) { try await d.overviewPage(request) } }
        router.get("ui/signals") { request, _ in await d.guarded(request) { try await d.signalsPage(request) } }
        router.get("ui/signals/:id") { request, context in
            await d.guarded(request) { try await d.signalPage(request, id: context.parameters.get("id") ?? "") }
        }
        router.get("ui/overrides") { request, _ in await d.guarded(request) { try await d.overridesPage(request, flash: nil) } }
        router.post("ui/overrides") { request, _ in await d.guarded(request) { try await d.setOverride(request) } }
        router.post("ui/overrides/remove") { request, _ in await d.guarded(request) { try await d.clearOverride(request) } }
        router.get("ui/members") { request, _ in await d.guarded(request) { try await d.membersPage(request, flash: nil) } }
        router.post("ui/members/add") { request, _ in await d.guarded(request) { try await d.changeMember(request, adding: true) } }
        router.post("ui/members/remove") { request, _ in await d.guarded(request) { try await d.changeMember(request, adding: false) } }
        router.get("ui/live") { request, _ in await d.guarded(request) { try await d.livePage(request) } }
        router.get("ui/live/events") { request, _ in await d.guarded(request) { try await d.liveEvents(request) } }
        router.get("ui/deliveries") { request, _ in await d.guarded(request) { try await d.deliveriesPage(request) } }
        router.get("ui/report") { request, _ in await d.guarded(request) { try await d.reportPage(request, format: "html") } }
        router.get("ui/report.csv") { request, _ in await d.guarded(request) { try await d.reportPage(request, format: "csv") } }
        router.get("ui/report.json") { request, _ in await d.guarded(request) { try await d.reportPage(request, format: "json") } }
    }

    var node: (name: String, id: String) { (env.nodeName, env.nodeID) }

    // MARK: responses

    /// A refused request: to the login page (no session), or a page saying why.
    struct Refusal: Error {
        var status: HTTPResponse.Status
        var message: String
        var toLogin = false
    }

    /// Runs a handler, turning its errors into pages: a refusal as itself, bad input as a 400
    /// page naming the problem, anything else as a logged 500.
    func guarded(_ request: Request, _ body: () async throws -> Response) async -> Response {
        let started = ContinuousClock.now
        do {
            var response = try await body()
            // The server's own time for the page (the dashboard benchmark reads it).
            let d = ContinuousClock.now - started
            let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
            response.headers[HTTPField.Name("Server-Timing")!] = "app;dur=" + String(format: "%.3f", ms)
            return response
        } catch let r as Refusal {
            if r.toLogin { return Self.redirect("/ui/login") }
            env.logger.warning("dashboard refused \(request.method) \(request.uri.path): \(r.message)")
            return Self.html(Pages.message(r.status.reasonPhrase, r.message, session: nil, node: nil), status: r.status)
        } catch let e as CoalitionError {
            let status: HTTPResponse.Status = e.code == .notFound ? .notFound : .badRequest
            return Self.html(Pages.message(status.reasonPhrase, e.message, session: nil, node: node), status: status)
        } catch {
            env.logger.error("dashboard \(request.method) \(request.uri.path) failed: \(error)")
            return Self.html(Pages.message("Error", "The page could not be built; the node's log says why.", session: nil, node: node),
                             status: .internalServerError)
        }
    }

    static func securityHeaders() -> HTTPFields {
        var h = HTTPFields()
        h[.contentSecurityPolicy] = csp
        h[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        h[HTTPField.Name("X-Frame-Options")!] = "DENY"
        h[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        h[.cacheControl] = "no-store"
        return h
    }

    static func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
        var h = securityHeaders()
        h[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: page.text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        var h = securityHeaders()
        h[.contentType] = type
        h[.cacheControl] = "max-age=3600"
        return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ to: String) -> Response {
        var h = securityHeaders()
        h[.location] = to
        return Response(status: .seeOther, headers: h)
    }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/ui; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)" + (env.secureCookies ? "; Secure" : "")
    }

    static func cookies(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for field in request.headers[values: .cookie] {
            for part in field.split(separator: ";") {
                let kv = part.split(separator: "=", maxSplits: 1)
                guard kv.count == 2 else { continue }
                let name = kv[0].trimmingCharacters(in: .whitespaces)
                if out[name] == nil { out[name] = kv[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return out
    }

    // MARK: sessions

    /// The request's session, with `scope`; its token must still be live.
    func session(_ request: Request, scope: TokenScope) async throws -> Session {
        guard let id = Self.cookies(request)[SessionStore.cookie], let s = sessions.session(id) else {
            throw Refusal(status: .unauthorized, message: "not logged in", toLogin: true)
        }
        let tokens = env.api.tokens
        guard try await env.api.run({ try tokens.active(id: s.tokenID) }) != nil else {
            sessions.closeAll(ofToken: s.tokenID)
            env.logger.warning("dashboard session ended: token '\(s.tokenName)' was revoked")
            throw Refusal(status: .unauthorized, message: "the token was revoked", toLogin: true)
        }
        guard s.allows(scope) else {
            throw Refusal(status: .forbidden, message: "token '\(s.tokenName)' lacks the '\(scope.rawValue)' scope this needs")
        }
        return s
    }

    /// A posted form with its session and a valid CSRF token.
    func form(_ request: Request, scope: TokenScope) async throws -> (Session, FormBody) {
        let s = try await session(request, scope: scope)
        let form = try await Self.body(request)
        guard let token = form["csrf"], SessionStore.same(token, s.csrf) else {
            throw Refusal(status: .forbidden, message: "the form's CSRF token is missing or wrong; reload the page and try again")
        }
        return (s, form)
    }

    static func body(_ request: Request) async throws -> FormBody {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maxFormBytes {
            throw Refusal(status: .contentTooLarge, message: "the form is \(declared) bytes; the limit is \(maxFormBytes)")
        }
        let buffer: ByteBuffer
        var request = request
        do {
            buffer = try await request.collectBody(upTo: maxFormBytes)
        } catch {
            throw Refusal(status: .contentTooLarge, message: "the form is over the limit of \(maxFormBytes) bytes")
        }
        return FormBody(buffer.readableBytesView)
    }

    static func query(_ request: Request) -> FormBody { FormBody(Array((request.uri.query ?? "").utf8)) }

    // MARK: login

    func loginPage(_ request: Request, error: String?, status: HTTPResponse.Status) -> Response {
        let csrf = SessionStore.random()
        var r = Self.html(Pages.login(error: error, loginCSRF: csrf), status: status)
        r.headers.append(HTTPField(name: .setCookie, value: cookie(SessionStore.loginCookie, csrf, maxAge: 3600)))
        return r
    }

    func login(_ request: Request) async throws -> Response {
        let form = try await Self.body(request)
        guard let expected = Self.cookies(request)[SessionStore.loginCookie], let given = form["csrf"], SessionStore.same(expected, given) else {
            env.logger.warning("dashboard login refused: the form's CSRF token is missing or wrong")
            return loginPage(request, error: "The login form expired; try again.", status: .forbidden)
        }
        let plaintext = form.trimmed("token") ?? ""
        let tokens = env.api.tokens
        guard let token = try await env.api.run({ try tokens.verify(plaintext) }) else {
            env.logger.warning("dashboard login refused: invalid or revoked token")
            return loginPage(request, error: "Invalid or revoked token.", status: .unauthorized)
        }
        guard token.allows(.lookup) else {
            env.logger.warning("dashboard login refused: token '\(token.name)' lacks the lookup scope")
            return loginPage(request, error: "Token '\(token.name)' lacks the lookup scope the dashboard needs.", status: .forbidden)
        }
        let s = sessions.open(for: token)
        env.logger.info("dashboard login: token '\(token.name)'")
        var r = Self.redirect("/ui")
        r.headers.append(HTTPField(name: .setCookie, value: cookie(SessionStore.cookie, s.id, maxAge: Int(sessions.lifetime.components.seconds))))
        r.headers.append(HTTPField(name: .setCookie, value: cookie(SessionStore.loginCookie, "", maxAge: 0)))
        return r
    }

    // MARK: pages

    func overviewPage(_ request: Request) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        let cache = overview, store = env.api.query.store, api = env.api
        let snapshot = try await api.run {
            try cache.counts { work in Task { _ = try? await api.run { work() } } }
        }
        let disputedIDs = snapshot.counts.disputed.map(\.signal)
        let values = try await api.run {
            var out: [EntryID: (kind: String, value: String)] = [:]
            for id in disputedIDs { if let row = try store.signal(id) { out[id] = (row.signal.kind.name, row.signal.value) } }
            return out
        }
        let peers = await env.peers()
        let names = env.api.query.names
        let data = Pages.Overview(peers: peers, members: env.membership?.members().count ?? 0, counts: snapshot.counts, disputedValues: values,
                                  name: names, today: UsageDay.day(of: .nowMillis), countedAt: SignalView.time(snapshot.wall))
        return Self.html(Pages.overview(data, session: s, node: node))
    }

    func signalsPage(_ request: Request) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        let q = Self.query(request)
        let filters = Pages.SignalQuery(q)
        var search = SignalSearch()
        var error: String?
        do {
            if !filters.kind.isEmpty { search.kind = try SignalKind(name: filters.kind) }
            if !filters.category.isEmpty { search.category = filters.category }
            if !filters.member.isEmpty { search.author = try MemberID(parsing: filters.member).publicKey }
            if !filters.severity.isEmpty { search.severity = try Severity(name: filters.severity) }
            guard let status = SignalSearch.Status(rawValue: filters.status) else {
                throw CoalitionError(.invalidField, "status is active, retracted, expired or all", field: "status")
            }
            search.status = status
            if !filters.label.isEmpty { search.label = filters.label }
            if !filters.text.isEmpty { search.text = String(filters.text.prefix(200)) }
            if let after = q.trimmed("after") {
                let parts = after.split(separator: ".")
                guard parts.count == 2, let at = Int64(parts[0]), let id = try? EntryID(hex: String(parts[1])) else {
                    throw CoalitionError(.invalidField, "after is a cursor from a previous page", field: "after")
                }
                search.after = (at, id)
            }
        } catch let e as CoalitionError {
            error = e.message
        }
        let query = env.api.query
        let members = env.membership?.members() ?? []
        let chosen = search
        let (views, next): ([SignalView], String?) = error != nil ? ([], nil) : try await env.api.run {
            let rows = try query.store.search(chosen)
            return (try rows.map(query.view), rows.count == chosen.limit ? rows.last.map { "\($0.publishedAt).\($0.id.hex)" } : nil)
        }
        return Self.html(Pages.signals(filters, views: views, next: next, members: members, error: error, session: s, node: node),
                         status: error == nil ? .ok : .badRequest)
    }

    func signalPage(_ request: Request, id: String) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        let query = env.api.query
        let (view, chain, override) = try await env.api.run {
            let view = try query.signal(hex: id)
            let signalID = try EntryID(hex: view.id)
            var chain: [(role: String, entry: Entry?)] = [("publish", try query.store.entry(signalID))]
            if let r = view.retractedBy, let rid = try? EntryID(hex: r) { chain.append(("retraction", try query.store.entry(rid))) }
            for o in try query.store.opinions(on: signalID) {
                chain.append(("opinion (\(o.stance.description)) by \(query.names(o.author))", try query.store.entry(o.entry)))
            }
            let override = try query.overrideList().first { $0.kind == view.kind && $0.value == view.value }
            return (view, chain, override.map { "\($0.action.rawValue)\($0.note.map { ": " + $0 } ?? "")" })
        }
        let flash = Self.query(request)["ok"].flatMap(Self.flashes)
        return Self.html(Pages.signal(view, chain: chain, override: override, session: s, node: node, flash: flash))
    }

    /// Messages a redirect may ask for (`?ok=`): fixed texts, so a link cannot put words on a page.
    static func flashes(_ code: String) -> Layout.Flash? {
        switch code {
        case "override-set": .init(text: "Override set.")
        case "override-cleared": .init(text: "Override cleared.")
        case "member-added": .init(text: "Member added.")
        case "member-removed": .init(text: "Member removed; its entries already stored stay.")
        default: nil
        }
    }

    func overridesPage(_ request: Request, flash: Layout.Flash?) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        let query = env.api.query
        let list = try await env.api.run { try query.overrideList() }
        return Self.html(Pages.overrides(list, session: s, node: node, flash: flash ?? Self.query(request)["ok"].flatMap(Self.flashes)),
                         status: flash?.isError == true ? .badRequest : .ok)
    }

    func setOverride(_ request: Request) async throws -> Response {
        let (s, f) = try await form(request, scope: .admin)
        let query = env.api.query
        do {
            let o = try await env.api.run {
                try query.setOverride(kind: f.trimmed("kind") ?? "", value: f.trimmed("value") ?? "", action: f.trimmed("action") ?? "", note: f.trimmed("note"))
            }
            env.logger.info("dashboard: '\(s.tokenName)' set override \(o.action.rawValue) on \(o.kind) \(o.value)")
        } catch let e as CoalitionError {
            return try await overridesPage(request, flash: .init(text: e.message, isError: true))
        }
        let back = f["back"].flatMap { $0.hasPrefix("/ui/signals/") && !$0.contains("?") ? $0 : nil } ?? "/ui/overrides"
        return Self.redirect(back + "?ok=override-set")
    }

    func clearOverride(_ request: Request) async throws -> Response {
        let (s, f) = try await form(request, scope: .admin)
        let query = env.api.query
        do {
            try await env.api.run { try query.removeOverride(kind: f.trimmed("kind") ?? "", value: f.trimmed("value") ?? "") }
            env.logger.info("dashboard: '\(s.tokenName)' cleared the override on \(f["kind"] ?? "") \(f["value"] ?? "")")
        } catch let e as CoalitionError {
            return try await overridesPage(request, flash: .init(text: e.message, isError: true))
        }
        return Self.redirect("/ui/overrides?ok=override-cleared")
    }

    func membersPage(_ request: Request, flash: Layout.Flash?) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        let members = env.membership?.members() ?? []
        var states: [String: Bool] = [:]
        for p in await env.peers() ?? [] { states[p.id] = p.connected }
        return Self.html(Pages.members(members, peers: states, session: s, node: node, flash: flash ?? Self.query(request)["ok"].flatMap(Self.flashes)),
                         status: flash?.isError == true ? .badRequest : .ok)
    }

    func changeMember(_ request: Request, adding: Bool) async throws -> Response {
        let (s, f) = try await form(request, scope: .admin)
        guard let membership = env.membership else { throw Refusal(status: .notImplemented, message: "this node's members cannot be changed here") }
        let id = f.trimmed("id") ?? ""
        if f["confirm"] != "yes" {
            if adding {
                let name = f.trimmed("name") ?? ""
                let address = f.trimmed("address") ?? ""
                let question = "Accept \(name.isEmpty ? "this member" : "'" + name + "'") (\(id))" + (address.isEmpty ? "" : " and dial it at \(address)")
                    + "? Its entries will be accepted and relayed."
                return Self.html(Pages.confirm("Add a member", question: question, action: "/ui/members/add",
                                               fields: [("id", id), ("name", name), ("address", address)], session: s, node: node))
            }
            let name = membership.members().first { $0.id == id }?.name ?? id
            return Self.html(Pages.confirm("Remove a member", question: "Stop accepting '\(name)' (\(id))? Its peer entry goes too; its entries already stored stay.",
                                           action: "/ui/members/remove", fields: [("id", id)], session: s, node: node))
        }
        do {
            let summary = adding
                ? try await membership.add(id: id, name: f.trimmed("name") ?? "", address: f.trimmed("address"))
                : try await membership.remove(id: id)
            env.logger.info("dashboard: '\(s.tokenName)' \(summary)")
        } catch let e as CoalitionError {
            return try await membersPage(request, flash: .init(text: e.message, isError: true))
        }
        return Self.redirect("/ui/members?ok=" + (adding ? "member-added" : "member-removed"))
    }

    func livePage(_ request: Request) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        let query = env.api.query
        let recent = try await env.api.run {
            var search = SignalSearch()
            search.severity = .critical
            search.limit = 20
            return try query.store.search(search).map(query.view)
        }
        return Self.html(Pages.live(recent: recent, session: s, node: node))
    }

    /// One critical signal as the live page's script reads it.
    struct LiveSignal: Codable {
        var id, kind, value, category, severity, authorName, publishedAt: String
    }

    /// `GET /ui/live/events`: critical signals as Server-Sent Events (`event: signal`), from the
    /// moment of the request. The session is checked again every second; when it ends, so
    /// does the stream.
    func liveEvents(_ request: Request) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        let query = env.api.query, api = env.api, sessions = self.sessions
        let start = try await api.run { try query.store.lastLocalSeq() }
        var headers = Self.securityHeaders()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let tokens = env.api.tokens
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var cursor = start
            var lastWrite = ContinuousClock.now
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            try await writer.write(ByteBuffer(string: ": live\n\n"))
            while !Task.isCancelled {
                guard sessions.session(s.id) != nil, try await api.run({ try tokens.active(id: s.tokenID) }) != nil else { break }
                let from = cursor
                let (page, views) = try await api.run { () -> (ChangeFeed, [LiveSignal]) in
                    let page = try query.changes(after: from, limit: 500)
                    var out: [LiveSignal] = []
                    for c in page.changes where c.kind == "added" {
                        guard let hex = c.signal, let v = try? query.signal(hex: hex), v.severity == "critical" else { continue }
                        out.append(LiveSignal(id: v.id, kind: v.kind, value: v.value, category: v.category, severity: v.severity,
                                              authorName: v.authorName, publishedAt: v.publishedAt))
                    }
                    return (page, out)
                }
                cursor = page.nextCursor
                if !views.isEmpty {
                    var text = ""
                    for v in views { text += "event: signal\ndata: \(String(decoding: try encoder.encode(v), as: UTF8.self))\n\n" }
                    try await writer.write(ByteBuffer(string: text))
                    lastWrite = .now
                } else if page.changes.isEmpty {
                    if ContinuousClock.now - lastWrite >= .seconds(15) {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        lastWrite = .now
                    }
                    await query.waitForChanges(after: cursor, timeout: .seconds(1))
                }
            }
            try await writer.finish(nil)
        })
    }

    func deliveriesPage(_ request: Request) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        guard let actions = env.api.actions else { return Self.html(Pages.deliveries(nil, rules: [], session: s, node: node)) }
        let (endpoints, stored) = try await env.api.run { (try actions.outbox.deliveries(), try AlertEngine.storedRules(actions.outbox)) }
        let rules = actions.configRules().map { r in var r = r; r.source = "config"; return r } + stored
        return Self.html(Pages.deliveries(endpoints, rules: rules, session: s, node: node))
    }

    func reportPage(_ request: Request, format: String) async throws -> Response {
        let s = try await session(request, scope: .lookup)
        let q = Self.query(request)
        let today = SignalView.time(.nowMillis).prefix(10)
        let defaultFrom = SignalView.time(Int64.nowMillis - 29 * 86_400_000).prefix(10)
        let from = q.trimmed("from") ?? String(defaultFrom), to = q.trimmed("to") ?? String(today)
        guard let identity = env.api.identity else { throw Refusal(status: .notImplemented, message: "no report on this node") }
        let query = env.api.query
        let period: (from: Int64, to: Int64)
        do {
            period = try QueryService.reportPeriod(from: from, to: to)
        } catch {
            throw CoalitionError(.invalidField, "\(error.message)", field: error.field)
        }
        let report = try await env.api.run {
            let (node, own) = identity()
            return try query.report(from: period.from, to: period.to, node: node, own: own)
        }
        switch format {
        case "csv":
            var h = Self.securityHeaders()
            h[.contentType] = "text/csv; charset=utf-8"
            h[.contentDisposition] = "attachment; filename=\"coalition-report-\(from)-\(to).csv\""
            return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: report.csv())))
        case "json":
            var h = Self.securityHeaders()
            h[.contentType] = "application/json"
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
            return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: try e.encode(report))))
        default:
            return Self.html(Pages.report(report, from: from, to: to, session: s, node: node, error: nil))
        }
    }
}

/// The transparency report as one HTML document with its stylesheet inline, for
/// `coalition report --format html`: it opens and prints with no server and no network.
public enum ReportDocument {
    public static func html(_ report: TransparencyReport, nodeName: String) -> String {
        Pages.standaloneReport(report, nodeName: nodeName)
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionMatch
import CoalitionStore
import Foundation
import HTTPTypes
import Hummingbird

/// Builds the router: `/healthz`, `/readyz`, and the authenticated `/v1` API described by
/// `Protocol/openapi.yaml`.
public func buildRouter(_ env: APIEnvironment, configuration: APIConfiguration = .init()) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: TimeoutMiddleware(seconds: configuration.requestTimeoutSeconds))
    router.get("/healthz") { _, _ in Health(status: "ok") }
    router.get("/metrics") { _, _ -> Response in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: await env.metrics.render())))
    }
    router.get("/readyz") { _, _ -> Health in
        // Not ready (503) while the match indexes load: seconds with millions of signals stored.
        try env.index.refresh()
        return Health(status: "ready")
    }
    let v1 = router.group("v1").add(middleware: AuthMiddleware(tokens: env.tokenCache, limiter: RateLimiter(perSecond: configuration.requestsPerSecond, burst: configuration.burst)))
    let api = APIHandlers(env: env, configuration: configuration)

    v1.get("lookup") { request, context -> LookupResponse in
        try context.require(.lookup)
        let start = ContinuousClock.now
        defer { env.metrics.record("lookup", since: start) }
        let q = request.uri.queryParameters
        guard let kind = q.get("kind") else { throw Problem(.badRequest, "query parameter 'kind' is required", field: "kind") }
        guard let value = q.get("value") else { throw Problem(.badRequest, "query parameter 'value' is required", field: "value") }
        let options = try api.options(distance: q.get("distance").map { try api.int($0, "distance") }, minQuality: q.get("minQuality").map { try api.int($0, "minQuality") },
                                      includeInactive: try api.bool(q.get("includeInactive"), "includeInactive"))
        return LookupResponse(results: [try api.lookup(LookupItem(kind: kind, value: value), options)])
    }
    v1.post("lookup") { request, context -> LookupResponse in
        try context.require(.lookup)
        let start = ContinuousClock.now
        defer { env.metrics.record("lookup_batch", since: start) }
        let body = try await api.decodeLookup(request)
        guard body.items.count <= configuration.maxBatch else {
            throw Problem(.contentTooLarge, "at most \(configuration.maxBatch) items per lookup, got \(body.items.count)", field: "items")
        }
        let options = try api.options(distance: body.distance, minQuality: body.minQuality, includeInactive: body.includeInactive)
        return LookupResponse(results: try api.lookupBatch(body.items, options))
    }
    v1.post("match/text") { request, context -> TextMatchResponse in
        try context.require(.lookup)
        let start = ContinuousClock.now
        defer { env.metrics.record("match_text", since: start) }
        let body: TextMatchRequest = try await api.decode(request)
        return try api.matchText(body)
    }
    v1.get("signals") { request, context -> SignalList in
        try context.require(.lookup)
        return try api.list(request.uri.queryParameters)
    }
    v1.get("signals/:id") { request, context -> SignalView in
        try context.require(.lookup)
        let id = try api.signalID(context)
        guard let row = try env.store.signal(id) else { throw Problem(.notFound, "no signal \(id.hex)", field: "id") }
        return try api.view(row)
    }
    v1.get("changes") { request, context -> ChangeFeed in
        try context.require(.lookup)
        return try api.changes(request.uri.queryParameters)
    }
    v1.get("stream") { request, context -> Response in
        try context.require(.lookup)
        return try api.stream(request)
    }
    v1.post("signals") { request, context -> Response in
        try context.require(.publish)
        guard let publisher = env.publisher else { throw Problem(.notImplemented, "this node does not publish through the API") }
        let id = try publisher.publish(json: Array(buffer: try await api.body(of: request)))
        guard let row = try env.store.signal(id) else { throw Problem(.internalServerError, "the new signal is missing") }
        var response = try api.view(row).response(from: request, context: context)
        response.status = .created
        response.headers[.location] = "/v1/signals/\(id.hex)"
        return response
    }
    v1.delete("signals/:id") { request, context -> SignalView in
        try context.require(.publish)
        guard let publisher = env.publisher else { throw Problem(.notImplemented, "this node does not publish through the API") }
        let id = try api.signalID(context)
        guard let reason = request.uri.queryParameters.get("reason"), !reason.isEmpty else {
            throw Problem(.badRequest, "query parameter 'reason' is required: say why, for other platforms' moderators", field: "reason")
        }
        try publisher.retract(id, reason: reason)
        guard let row = try env.store.signal(id) else { throw Problem(.notFound, "no signal \(id.hex)", field: "id") }
        return try api.view(row)
    }
    v1.post("signals/:id/opinions") { request, context -> SignalView in
        try context.require(.publish)
        guard let publisher = env.publisher else { throw Problem(.notImplemented, "this node does not publish through the API") }
        let id = try api.signalID(context)
        let body: OpinionRequest = try await api.decode(request)
        try publisher.opine(id, stance: body.stance, note: body.note)
        guard let row = try env.store.signal(id) else { throw Problem(.notFound, "no signal \(id.hex)", field: "id") }
        return try api.view(row)
    }
    v1.get("overrides") { _, context -> OverrideList in
        try context.require(.lookup)
        return OverrideList(overrides: try env.overrides.list())
    }
    v1.put("overrides") { request, context -> LocalOverride in
        try context.require(.publish)
        let body: OverrideRequest = try await api.decode(request)
        let (kind, value) = try api.overrideKey(kind: body.kind, value: body.value)
        guard let action = LocalOverride.Action(rawValue: body.action) else {
            throw Problem(.badRequest, "action is 'ignore' or 'flag', got '\(body.action.prefix(40))'", field: "action")
        }
        defer { env.overrideCache.invalidate() }
        do { return try env.overrides.set(kind: kind, value: value, action: action, note: body.note) } catch let e as CoalitionError {
            throw Problem(e)
        }
    }
    v1.delete("overrides") { request, context -> Response in
        try context.require(.publish)
        let q = request.uri.queryParameters
        guard let kind = q.get("kind"), let value = q.get("value") else {
            throw Problem(.badRequest, "query parameters 'kind' and 'value' are required", field: q.get("kind") == nil ? "kind" : "value")
        }
        let (k, v) = try api.overrideKey(kind: kind, value: value)
        defer { env.overrideCache.invalidate() }
        guard try env.overrides.remove(kind: k, value: v) else { throw Problem(.notFound, "no override for \(k.name) \(v)", field: "value") }
        return Response(status: .noContent)
    }
    v1.get("status") { request, context -> Response in
        try context.require(.admin)
        guard let status = env.status else { throw Problem(.notImplemented, "no status on this node") }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try await status())))
    }
    return router
}

/// The handlers' logic, apart from routing.
struct APIHandlers: Sendable {
    let env: APIEnvironment
    let configuration: APIConfiguration

    struct Options {
        var distance: Int
        var minQuality: Int?
        var includeInactive: Bool
    }

    func options(distance: Int?, minQuality: Int?, includeInactive: Bool?) throws -> Options {
        let d = distance ?? configuration.defaultDistance
        guard (0...configuration.maxDistance).contains(d) else {
            throw Problem(.badRequest, "distance must be between 0 and \(configuration.maxDistance), got \(d)", field: "distance")
        }
        if let q = minQuality, !(0...100).contains(q) {
            throw Problem(.badRequest, "minQuality must be between 0 and 100, got \(q)", field: "minQuality")
        }
        return Options(distance: d, minQuality: minQuality, includeInactive: includeInactive ?? false)
    }

    /// A boolean query parameter: `true` or `false`, nothing else (a typo such as `TRUE` or `1`
    /// must not quietly mean false).
    func bool(_ s: String?, _ field: String) throws -> Bool? {
        switch s {
        case nil: return nil
        case "true": return true
        case "false": return false
        case let other?: throw Problem(.badRequest, "'\(field)' must be true or false, got '\(other.prefix(40))'", field: field)
        }
    }

    func int(_ s: String, _ field: String) throws -> Int {
        guard let v = Int(s) else { throw Problem(.badRequest, "'\(field)' must be an integer, got '\(s)'", field: field) }
        return v
    }

    func decode<T: Decodable>(_ request: Request) async throws -> T {
        try decode(T.self, from: try await body(of: request))
    }

    /// A `POST /v1/lookup` body: plain bodies through ``LookupRequestParser``, the rest (and
    /// every error) through `JSONDecoder`.
    func decodeLookup(_ request: Request) async throws -> LookupRequest {
        let bytes = try await body(of: request)
        if let parsed = bytes.withUnsafeReadableBytes(LookupRequestParser.parse) { return parsed }
        return try decode(LookupRequest.self, from: bytes)
    }

    /// The request's body, up to the configured limit (413 beyond it).
    func body(of request: Request) async throws -> ByteBuffer {
        // A declared length over the limit is refused before a byte of the body is read.
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.maxBodyBytes {
            throw Problem(.contentTooLarge, "the request body is \(declared) bytes; the limit is \(configuration.maxBodyBytes)", field: "body")
        }
        var request = request
        return try await request.collectBody(upTo: configuration.maxBodyBytes)
    }

    private func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: bytes))
        } catch let error as DecodingError {
            throw Problem.decoding(error)
        }
    }

    func signalID(_ context: APIRequestContext) throws -> EntryID {
        let raw = context.parameters.get("id") ?? ""
        do { return try EntryID(hex: raw) } catch {
            throw Problem(.badRequest, "a signal ID is 64 hex characters, got '\(raw.prefix(80))'", field: "id")
        }
    }

    func view(_ row: SignalRow) throws -> SignalView {
        try SignalView(row, store: env.store, name: env.names)
    }

    /// The items of a batch, in order. A batch of at least ``parallelBatch`` items is split over
    /// all cores, so one large request (a backlog sweep) is not limited to one core; smaller
    /// batches run on the request's own thread, since many concurrent requests already keep
    /// every core busy and splitting them costs more than it saves (about a third of the
    /// throughput of 100-item batches under load, measured). The first invalid item (in order)
    /// fails the whole batch, as it would one by one.
    func lookupBatch(_ items: [LookupItem], _ o: Options) throws -> [LookupResult] {
        let parts = items.count >= Self.parallelBatch ? ProcessInfo.processInfo.activeProcessorCount : 1
        guard parts > 1 else { return try lookupRun(items[...], first: 0, o) }
        // Once, before splitting: otherwise one part could start the first load of the indexes
        // and the other be told (503) that they are still loading.
        try env.index.refresh()
        let size = (items.count + parts - 1) / parts
        let runs = Array(stride(from: 0, to: items.count, by: size)).parallelMap(chunkSize: 1) { start in
            Result { try lookupRun(items[start..<min(start + size, items.count)], first: start, o) }
        }
        return try runs.flatMap { try $0.get() }
    }

    /// The batch size from which ``lookupBatch(_:_:)`` uses all cores.
    static let parallelBatch = 256

    /// A run of a batch's items (`first` is the index of the first, for error fields), in order.
    /// The exact items that the in-memory filter lets through are read from the store together,
    /// in one transaction, rather than one transaction each.
    /// With `single`, the item is a request of its own (`GET`), and errors name `kind` and
    /// `value` rather than `items[i].kind`.
    func lookupRun(_ items: ArraySlice<LookupItem>, first: Int, _ o: Options, single: Bool = false) throws -> [LookupResult] {
        // Every item is validated first, in order, so the first invalid one fails the batch
        // before any index is consulted; then the indexes are brought up to date once.
        let values = try items.enumerated().map { slot, item in try value(of: item, field: single ? nil : "items[\(first + slot)]") }
        try env.index.refresh()
        let now = Int64.nowMillis
        var results = [LookupResult?](repeating: nil, count: items.count)
        var pending: [(slot: Int, probe: ExactProbe)] = []
        for (slot, (item, value)) in zip(items, values).enumerated() {
            switch value {
            case .pdq(let hash):
                results[slot] = try pdqLookup(item, hash, o, now: now)
            case .exact(let kind, let canonical):
                let probe = try probe(kind: kind, canonical: canonical)
                if probe.mayBeStored { pending.append((slot, probe)) } else { results[slot] = exactResult(item, probe, stored: [], o, now: now) }
            }
        }
        let stored = try env.store.indicators(pending.map { ($0.probe.kind, $0.probe.canonical) })
        for ((slot, probe), rows) in zip(pending, stored) {
            results[slot] = exactResult(items[items.startIndex + slot], probe, stored: rows, o, now: now)
        }
        return results.map { $0! }
    }

    /// What an item asks for, validated: a PDQ hash or an exact kind's canonical value.
    enum LookupValue {
        case pdq(PDQHash)
        case exact(SignalKind, String)
    }

    func value(of item: LookupItem, field: String?) throws -> LookupValue {
        let prefix = field.map { $0 + "." } ?? ""
        let kind: SignalKind
        do { kind = try SignalKind(name: item.kind) } catch { throw Problem(error, prefix: prefix + "kind") }
        if kind == .pdq {
            guard let hash = PDQHash(hex: item.value) else { throw Problem(.badRequest, "a pdq value is 64 hex characters", field: prefix + "value") }
            return .pdq(hash)
        }
        do { return .exact(kind, try SignalRules.canonicalValue(item.value, kind: kind)) } catch {
            throw Problem(.badRequest, error.message, field: prefix + "value")
        }
    }

    /// One item on its own (`GET /v1/lookup`, `coalition lookup`).
    func lookup(_ item: LookupItem, _ o: Options) throws -> LookupResult {
        try lookupRun([item], first: 0, o, single: true)[0]
    }

    /// The signals within `o.distance` of a PDQ hash; the indexes must be fresh.
    func pdqLookup(_ item: LookupItem, _ hash: PDQHash, _ o: Options, now: Int64) throws -> LookupResult {
        var matches: [SignalMatch] = []
        var ignored = false
        for hit in env.index.pdq(hash, radius: o.distance) {
            guard let row = try env.store.signal(hit.key), o.includeInactive || row.isActive(now: now) else { continue }
            if let min = o.minQuality, (row.signal.quality.map(Int.init) ?? 0) < min { continue }
            // An ignore override on a stored hash hides the signals of that hash.
            if try env.overrideCache.get(kind: .pdq, value: row.signal.value)?.action == .ignore { ignored = true; continue }
            matches.append(SignalMatch(distance: hit.distance, signal: try view(row)))
        }
        let own = try env.overrideCache.get(kind: .pdq, value: hash.hex)
        return result(item, canonical: hash.hex, matches: own?.action == .ignore ? [] : matches,
                      override: own?.action.rawValue ?? (ignored ? "ignore" : nil), flag: own?.action == .flag, now: now)
    }

    /// An exact item resolved up to the store read.
    struct ExactProbe {
        var kind: SignalKind
        var canonical: String
        /// This node's override of the value.
        var own: LocalOverride?
        /// Whether the store must be read: the in-memory filter answers for values that were
        /// never stored (most lookups) without a database read, and an ignored value needs none.
        var mayBeStored: Bool
    }

    /// The override and the in-memory filter's answer for a canonical value; the indexes must be fresh.
    func probe(kind: SignalKind, canonical: String) throws -> ExactProbe {
        let own = try env.overrideCache.get(kind: kind, value: canonical)
        let mayBeStored = own?.action != .ignore && env.index.mayContain(IndicatorKey(kind: kind, value: canonical))
        return ExactProbe(kind: kind, canonical: canonical, own: own, mayBeStored: mayBeStored)
    }

    func exactResult(_ item: LookupItem, _ probe: ExactProbe, stored: [(signal: SignalRow, opinions: [OpinionRow])], _ o: Options, now: Int64) -> LookupResult {
        let all = stored.map(\.signal)
        let labels = env.labels
        let matches = stored.filter { o.includeInactive || $0.signal.isActive(now: now) }.map { s in
            SignalMatch(distance: nil, signal: SignalView(s.signal, opinions: s.opinions, sources: all, now: now) { author in
                let l = labels.label(of: author)
                return (l.memberID, l.name)
            })
        }
        return result(item, canonical: probe.canonical, matches: matches, override: probe.own?.action.rawValue, flag: probe.own?.action == .flag, now: now)
    }

    func result(_ item: LookupItem, canonical: String, matches: [SignalMatch], override: String?, flag: Bool, now: Int64) -> LookupResult {
        LookupResult(kind: item.kind, value: item.value, canonical: canonical, matches: matches, override: override,
                     flagged: flag || matches.contains { $0.signal.status == "active" })
    }

    /// The kind and canonical value of an override request.
    func overrideKey(kind: String, value: String) throws -> (SignalKind, String) {
        let k: SignalKind
        do { k = try SignalKind(name: kind) } catch { throw Problem(error, prefix: "kind") }
        if k == .pdq {
            guard let h = PDQHash(hex: value) else { throw Problem(.badRequest, "a pdq value is 64 hex characters", field: "value") }
            return (k, h.hex)
        }
        do { return (k, try SignalRules.canonicalValue(value, kind: k)) } catch { throw Problem(.badRequest, error.message, field: "value") }
    }

    func matchText(_ body: TextMatchRequest) throws -> TextMatchResponse {
        guard body.text.utf8.count <= 65_536 else { throw Problem(.contentTooLarge, "text is limited to 65536 bytes", field: "text") }
        try env.index.refresh()
        let now = Int64.nowMillis
        var seen = Set<EntryID>()
        var out: [TextMatch] = []
        for hit in env.index.trends(in: body.text) where seen.insert(hit.payload).inserted {
            guard let row = try env.store.signal(hit.payload), body.includeInactive == true || row.isActive(now: now) else { continue }
            out.append(TextMatch(matched: hit.matched, signal: try view(row)))
        }
        return TextMatchResponse(matches: out)
    }

    func list(_ q: Parameters) throws -> SignalList {
        let kind = try q.get("kind").map { k in
            do { return try SignalKind(name: k) } catch { throw Problem(error, prefix: "kind") }
        }
        let origin = try q.get("origin").map { o in
            do { return try MemberID(parsing: o).publicKey } catch { throw Problem(error, prefix: "origin") }
        }
        let limit = try q.get("limit").map { try int($0, "limit") } ?? 100
        guard (1...1000).contains(limit) else { throw Problem(.badRequest, "limit must be between 1 and 1000", field: "limit") }
        let since = try q.get("since").map { s -> Int64 in
            if let ms = Int64(s) { return ms }
            let f = ISO8601DateFormatter()
            f.formatOptions = s.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
            guard let d = f.date(from: s) else {
                throw Problem(.badRequest, "since is an RFC 3339 date-time or milliseconds since the epoch, got '\(s.prefix(40))'", field: "since")
            }
            return Int64((d.timeIntervalSince1970 * 1000).rounded())
        }
        let after = try q.get("cursor").map { c -> (publishedAt: Int64, id: EntryID) in
            let parts = c.split(separator: ".")
            guard parts.count == 2, let at = Int64(parts[0]), let id = try? EntryID(hex: String(parts[1])) else {
                throw Problem(.badRequest, "cursor must be a nextCursor from a previous page", field: "cursor")
            }
            return (at, id)
        }
        let rows = try env.store.listSignals(kind: kind, category: q.get("category"), author: origin,
                                             includeInactive: try bool(q.get("includeInactive"), "includeInactive") ?? false, since: since, after: after, limit: limit)
        let next = rows.count == limit ? rows.last.map { "\($0.publishedAt).\($0.id.hex)" } : nil
        return SignalList(signals: try rows.map(view), nextCursor: next)
    }

    func changes(_ q: Parameters) throws -> ChangeFeed {
        let after = try q.get("after").map { try int($0, "after") } ?? 0
        guard after >= 0 else { throw Problem(.badRequest, "after must be 0 or a cursor from a previous answer", field: "after") }
        let limit = try q.get("limit").map { try int($0, "limit") } ?? 100
        guard (1...1000).contains(limit) else { throw Problem(.badRequest, "limit must be between 1 and 1000", field: "limit") }
        let records = try env.store.changes(after: Int64(after), limit: limit)
        return ChangeFeed(changes: try Self.views(records, store: env.store), nextCursor: records.last?.cursor ?? Int64(after))
    }

    /// The change views of feed records. A restricted (sealed) signal that this node can read
    /// also yields a `readable` change at the same cursor, so mirrors learn that a restricted
    /// signal addressed to this platform is available.
    static func views(_ records: [ChangeRecord], store: EntryStore) throws -> [ChangeView] {
        var out: [ChangeView] = []
        for r in records {
            let view = ChangeView(cursor: r.cursor, kind: r.kind.rawValue, signal: r.signal?.hex, entry: r.entry.hex, at: SignalView.time(r.at))
            out.append(view)
            if r.kind == .added, let id = r.signal, try store.signal(id)?.restricted == true {
                var readable = view
                readable.kind = "readable"
                out.append(readable)
            }
        }
        return out
    }
}

extension APIHandlers {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// `GET /v1/stream`: the change feed as Server-Sent Events. Each event's `id` is its cursor,
    /// so a client that reconnects with `Last-Event-ID` (or `?after=`) resumes where it stopped.
    /// A comment line every 15 s keeps proxies from closing an idle stream; `maxSeconds` ends the
    /// stream (for scripts and tests). The token is checked again through the one-second token
    /// cache on every poll, so a revocation ends an open stream within about a second: one
    /// `revoked` event carrying a problem document, then the end of the stream.
    func stream(_ request: Request) throws -> Response {
        let q = request.uri.queryParameters
        let resume = request.headers[Self.lastEventID] ?? q.get("after") ?? "0"
        guard let start = Int64(resume), start >= 0 else {
            throw Problem(.badRequest, "Last-Event-ID or after must be a cursor (0 or more), got '\(resume.prefix(40))'", field: "after")
        }
        let maxSeconds = try q.get("maxSeconds").map { try int($0, "maxSeconds") }
        if let m = maxSeconds, !(1...86_400).contains(m) {
            throw Problem(.badRequest, "maxSeconds must be between 1 and 86400", field: "maxSeconds")
        }
        let store = env.store, tokens = env.tokenCache
        let bearer = AuthMiddleware.bearer(request.headers[.authorization]) ?? ""
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var cursor = start
            let began = ContinuousClock.now
            var lastWrite = ContinuousClock.now
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            while !Task.isCancelled {
                if let m = maxSeconds, ContinuousClock.now - began >= .seconds(m) { break }
                // A store error here ends the stream (thrown): it fails closed, never open.
                guard try tokens.verify(bearer) != nil else {
                    let problem = Problem(.unauthorized, "the token was revoked; this stream has ended")
                    try await writer.write(ByteBuffer(string: "event: revoked\ndata: \(String(decoding: try encoder.encode(problem), as: UTF8.self))\n\n"))
                    break
                }
                let records = try store.changes(after: cursor, limit: 500)
                if records.isEmpty {
                    if ContinuousClock.now - lastWrite >= .seconds(15) {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        lastWrite = .now
                    }
                    try await Task.sleep(for: .milliseconds(200))
                    continue
                }
                var text = ""
                for view in try Self.views(records, store: store) {
                    text += "id: \(view.cursor)\nevent: \(view.kind)\ndata: \(String(decoding: try encoder.encode(view), as: UTF8.self))\n\n"
                    cursor = view.cursor
                }
                try await writer.write(ByteBuffer(string: text))
                lastWrite = .now
            }
            try await writer.finish(nil)
        })
    }
}

extension Problem {
    init(_ error: any Error, prefix: String) {
        if let e = error as? CoalitionError {
            self.init(.badRequest, e.message, field: prefix)
        } else {
            self.init(.badRequest, "\(error)", field: prefix)
        }
    }
}

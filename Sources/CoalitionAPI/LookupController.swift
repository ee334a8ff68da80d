import CoalitionQuery
import Hummingbird

/// `GET /v1/lookup`, `POST /v1/lookup` and `POST /v1/match/text`.
struct LookupController: Sendable {
    let env: APIEnvironment
    let reader: RequestReader
    /// Items in one `POST /v1/lookup`.
    let maxBatch: Int

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        let env = self.env, reader = self.reader, maxBatch = self.maxBatch, query = env.query
        routes.get("lookup") { request, context -> LookupResponse in
            try context.require(.lookup)
            let start = ContinuousClock.now
            defer { env.metrics.record("lookup", since: start) }
            let q = request.uri.queryParameters
            let item = LookupItem(kind: try reader.required(q, "kind"), value: try reader.required(q, "value"))
            let options = try query.options(distance: q.get("distance").map { try reader.int($0, "distance") },
                                            minQuality: q.get("minQuality").map { try reader.int($0, "minQuality") },
                                            includeInactive: try reader.bool(q.get("includeInactive"), "includeInactive"))
            if let register = try ContentRegistration(request, context: context, reader: reader, env: env) {
                let result = try await env.run { try query.lookup(item, options) }
                return LookupResponse(results: [result], registered: try await register.register([(item.kind, item.value)]))
            }
            // Answered on the event loop when memory suffices (no stored value is near); the
            // store is read on the API's pool.
            if let answer = try query.lookupFromMemory(item, options) { return LookupResponse(results: [answer]) }
            return LookupResponse(results: [try await env.run { try query.lookup(item, options) }])
        }
        routes.post("lookup") { request, context -> LookupResponse in
            try context.require(.lookup)
            let start = ContinuousClock.now
            defer { env.metrics.record("lookup_batch", since: start) }
            let body = try await reader.decodeLookup(request)
            guard body.items.count <= maxBatch else {
                throw Problem(.contentTooLarge, "at most \(maxBatch) items per lookup, got \(body.items.count)", field: "items")
            }
            let options = try query.options(distance: body.distance, minQuality: body.minQuality, includeInactive: body.includeInactive)
            let items = body.items
            return LookupResponse(results: try await env.run { try query.lookup(batch: items, options) })
        }
        routes.post("match/text") { request, context -> TextMatchResponse in
            try context.require(.lookup)
            let start = ContinuousClock.now
            defer { env.metrics.record("match_text", since: start) }
            let body: TextMatchRequest = try await reader.decode(request)
            let text = body.text, includeInactive = body.includeInactive ?? false
            return TextMatchResponse(matches: try await env.run { try query.matchText(text, includeInactive: includeInactive) })
        }
        return routes
    }
}

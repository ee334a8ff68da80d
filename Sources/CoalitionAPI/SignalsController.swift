import CoalitionQuery
import Hummingbird

/// `GET /v1/signals`, `GET /v1/signals/{id}`, and publishing: `POST /v1/signals`,
/// `DELETE /v1/signals/{id}` (retract) and `POST /v1/signals/{id}/opinions`.
struct SignalsController: Sendable {
    let env: APIEnvironment
    let reader: RequestReader

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        let env = self.env, reader = self.reader, query = env.query
        @Sendable func publisher() throws -> any SignalPublisher {
            guard let p = env.publisher else { throw Problem(.notImplemented, "this node does not publish through the API") }
            return p
        }
        routes.get("signals") { request, context -> SignalList in
            try context.require(.lookup)
            let q = request.uri.queryParameters
            let filter = try QueryService.SignalFilter(
                kind: q.get("kind"), category: q.get("category"), origin: q.get("origin"),
                includeInactive: try reader.bool(q.get("includeInactive"), "includeInactive") ?? false,
                since: q.get("since"), cursor: q.get("cursor"), limit: try q.get("limit").map { try reader.int($0, "limit") })
            return try await env.run { try query.list(filter) }
        }
        routes.get("signals/:id") { _, context -> SignalView in
            try context.require(.lookup)
            let id = try reader.signalID(context)
            return try await env.run { try query.signal(id) }
        }
        routes.post("signals") { request, context -> Response in
            try context.require(.publish)
            let input: SignalInput = try await reader.decode(request)
            let id = try await publisher().publish(input)
            // The publisher's next lookup must find the signal.
            try await query.indexesCaughtUp()
            var response = try await env.run { try query.signal(id) }.response(from: request, context: context)
            response.status = .created
            response.headers[.location] = "/v1/signals/\(id.hex)"
            return response
        }
        routes.delete("signals/:id") { request, context -> SignalView in
            try context.require(.publish)
            let p = try publisher()
            let id = try reader.signalID(context)
            guard let reason = request.uri.queryParameters.get("reason"), !reason.isEmpty else {
                throw Problem(.badRequest, "query parameter 'reason' is required: say why, for other platforms' moderators", field: "reason")
            }
            try await p.retract(id, reason: reason)
            try await query.indexesCaughtUp()
            return try await env.run { try query.signal(id) }
        }
        routes.post("signals/:id/opinions") { request, context -> SignalView in
            try context.require(.publish)
            let p = try publisher()
            let id = try reader.signalID(context)
            let body: OpinionRequest = try await reader.decode(request)
            try await p.opine(id, stance: body.stance, note: body.note)
            return try await env.run { try query.signal(id) }
        }
        return routes
    }
}

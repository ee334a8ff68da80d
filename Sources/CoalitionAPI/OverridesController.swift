import CoalitionQuery
import CoalitionStore
import Hummingbird

/// `GET`, `PUT` and `DELETE /v1/overrides`: this node's local ignore and flag decisions.
struct OverridesController: Sendable {
    let env: APIEnvironment
    let reader: RequestReader

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        let reader = self.reader, env = self.env, query = env.query
        routes.get("overrides") { _, context -> OverrideList in
            try context.require(.lookup)
            return OverrideList(overrides: try await env.run { try query.overrideList() })
        }
        routes.put("overrides") { request, context -> LocalOverride in
            try context.require(.publish)
            let body: OverrideRequest = try await reader.decode(request)
            return try await env.run { try query.setOverride(kind: body.kind, value: body.value, action: body.action, note: body.note) }
        }
        routes.delete("overrides") { request, context -> Response in
            try context.require(.publish)
            let q = request.uri.queryParameters
            guard let kind = q.get("kind"), let value = q.get("value") else {
                throw Problem(.badRequest, "query parameters 'kind' and 'value' are required", field: q.get("kind") == nil ? "kind" : "value")
            }
            try await env.run { try query.removeOverride(kind: kind, value: value) }
            return Response(status: .noContent)
        }
        return routes
    }
}

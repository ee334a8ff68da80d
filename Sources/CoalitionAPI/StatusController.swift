import Hummingbird

/// `GET /v1/status`: the node's status document, for admins.
struct StatusController: Sendable {
    let env: APIEnvironment

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        let env = self.env
        routes.get("status") { _, context -> Response in
            try context.require(.admin)
            guard let status = env.status else { throw Problem(.notImplemented, "no status on this node") }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try await status())))
        }
        return routes
    }
}

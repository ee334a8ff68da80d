import Hummingbird
import HTTPTypes

/// Builds the router: `/healthz`, `/readyz`, `/metrics`, and the authenticated `/v1` API
/// described by `Protocol/openapi.yaml`, one controller per group of routes.
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
        try env.query.refreshIndexes()
        return Health(status: "ready")
    }
    let reader = RequestReader(configuration: configuration)
    router.group("v1")
        .add(middleware: AuthMiddleware(tokens: env.tokenCache, limiter: RateLimiter(perSecond: configuration.requestsPerSecond, burst: configuration.burst)))
        .addRoutes(LookupController(env: env, reader: reader, maxBatch: configuration.maxBatch).routes)
        .addRoutes(SignalsController(env: env, reader: reader).routes)
        .addRoutes(FeedController(env: env).routes)
        .addRoutes(OverridesController(env: env, reader: reader).routes)
        .addRoutes(StatusController(env: env).routes)
    return router
}

import Hummingbird
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore

/// Builds the router: `/healthz`, `/readyz`, `/metrics`, and the authenticated `/v1` API
/// described by `Protocol/openapi.yaml`, one controller per group of routes.
/// - Parameter more: adds routes outside `/v1` (the dashboard's `/ui`), which authenticate on
///   their own.
public func buildRouter(_ env: APIEnvironment, configuration: APIConfiguration = .init(),
                        more: (Router<APIRequestContext>) -> Void = { _ in }) -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: TimeoutMiddleware(seconds: configuration.requestTimeoutSeconds, uploadSeconds: configuration.uploadTimeoutSeconds))
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
        .addRoutes(MediaController(env: env, configuration: configuration).routes)
        .addRoutes(SignalsController(env: env, reader: reader).routes)
        .addRoutes(FeedController(env: env).routes)
        .addRoutes(OverridesController(env: env, reader: reader).routes)
        .addRoutes(StatusController(env: env).routes)
        .addRoutes(ReportController(env: env).routes)
        .addRoutes(AlertsController(env: env, reader: reader, maxBatch: configuration.maxBatch).routes)
    more(router)
    return router
}

/// The API as a runnable application: the router of ``buildRouter(_:configuration:)`` served at
/// the configuration's host and port. The daemon and the tests both build it here, so that what
/// the tests serve is what a node serves.
/// - Parameters:
///   - server: the HTTP server (the daemon's has its header and idle timeouts, and TLS when
///     configured); plain HTTP/1.1 by default.
///   - onServerRunning: called with the listening channel once it is bound.
public func buildApplication(_ env: APIEnvironment, configuration: APIConfiguration = .init(), server: HTTPServerBuilder = .http1(),
                             onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in },
                             logger: Logger = Logger(label: "coalition.api"),
                             more: (Router<APIRequestContext>) -> Void = { _ in }) -> Application<RouterResponder<APIRequestContext>> {
    Application(router: buildRouter(env, configuration: configuration, more: more), server: server,
                configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "coalition"),
                onServerRunning: onServerRunning, logger: logger)
}

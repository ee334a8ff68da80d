import CoalitionStore
import Hummingbird

/// Authenticates `Authorization: Bearer coal_…` against the token store (hashes only, through
/// a one-second cache) and
/// applies the per-token rate limit. Scopes are checked by each route.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let tokens: TokenCache
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem(.unauthorized, "missing Authorization header; send 'Authorization: Bearer <token>'")
        }
        guard let bearer = Self.bearer(header), let token = try await tokens.verify(bearer) else {
            throw Problem(.unauthorized, "invalid or revoked token")
        }
        if let wait = limiter.admit(token.id) {
            var problem = Problem(.tooManyRequests, "rate limit of token '\(token.name)' exceeded; retry in \(wait) s")
            problem.retryAfter = wait
            throw problem
        }
        var context = context
        context.token = token
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer …` header.
    static func bearer(_ header: String?) -> String? {
        guard let parts = header?.split(separator: " ", maxSplits: 1), parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1])
    }
}

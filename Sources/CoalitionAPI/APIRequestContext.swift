import CoalitionStore
import Foundation
import Hummingbird

/// The per-request context: Hummingbird's core storage plus the authenticated token.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware on `/v1` routes.
    public var token: APIToken?

    /// JSON answers keep `/` unescaped (URLs read as URLs) and keys sorted (stable output).
    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        token = nil
    }

    /// - Throws: 401 without a token, 403 when the token lacks `scope`.
    public func require(_ scope: TokenScope) throws {
        guard let token else { throw Problem(.unauthorized, "a bearer token is required") }
        guard token.allows(scope) else {
            throw Problem(.forbidden, "token '\(token.name)' lacks the '\(scope.rawValue)' scope")
        }
    }
}

import CoalitionActions
import CoalitionCore
import CoalitionStore
import Hummingbird

/// `register=true&contentId=…` on a lookup: the looked-up values also go into the content bank
/// under that content ID, so that a signal published later about them raises a retro-match.
/// Registering needs the `publish` scope besides `lookup`.
struct ContentRegistration: Sendable {
    let bank: ContentBank
    let contentId: String
    let env: APIEnvironment

    /// Nil when the request does not ask to register.
    /// - Throws: a ``Problem`` for a bad `register`, a missing `contentId`, a token without
    ///   `publish`, or a node without a content bank.
    init?(_ request: Request, context: APIRequestContext, reader: RequestReader, env: APIEnvironment) throws {
        let q = request.uri.queryParameters
        guard try reader.bool(q.get("register"), "register") == true else {
            if q.get("contentId") != nil { throw Problem(.badRequest, "'contentId' is only for register=true", field: "contentId") }
            return nil
        }
        try context.require(.publish)
        guard let id = q.get("contentId"), !id.isEmpty else { throw Problem(.badRequest, "register=true needs a 'contentId'", field: "contentId") }
        guard let bank = env.actions?.bank else { throw Problem(.notFound, "this node has no content bank") }
        self.bank = bank
        self.contentId = id
        self.env = env
    }

    /// Registers `(kind, value)` pairs; returns how many were new.
    func register(_ values: [(kind: String, value: String)]) async throws -> Int {
        let items = values.map { ContentItem(contentId: contentId, kind: $0.kind, value: $0.value) }
        let bank = self.bank
        do {
            return try await env.run { try bank.register(items) }
        } catch let e as CoalitionError {
            throw Problem(e)
        }
    }
}

import CoalitionQuery
import Foundation
import HTTPTypes
import Hummingbird

/// `GET /v1/changes` (pages of the change feed) and `GET /v1/stream` (the same as Server-Sent
/// Events).
struct FeedController: Sendable {
    let env: APIEnvironment
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        let reader = RequestReader(configuration: .init()), env = self.env, query = env.query, tokens = env.tokenCache
        routes.get("changes") { request, context -> ChangeFeed in
            try context.require(.lookup)
            let q = request.uri.queryParameters
            let after = Int64(try q.get("after").map { try reader.int($0, "after") } ?? 0)
            let limit = try q.get("limit").map { try reader.int($0, "limit") } ?? 100
            return try await env.run { try query.changes(after: after, limit: limit) }
        }
        routes.get("stream") { request, context -> Response in
            try context.require(.lookup)
            return try Self.stream(request, env: env, tokens: tokens, reader: reader)
        }
        return routes
    }

    /// `GET /v1/stream`: the change feed as Server-Sent Events. Each event's `id` is its cursor,
    /// so a client that reconnects with `Last-Event-ID` (or `?after=`) resumes where it stopped.
    /// A comment line every 15 s keeps proxies from closing an idle stream; `maxSeconds` ends the
    /// stream (for scripts and tests). The token is checked again through the one-second token
    /// cache on every poll, so a revocation ends an open stream within about a second: one
    /// `revoked` event carrying a problem document, then the end of the stream.
    static func stream(_ request: Request, env: APIEnvironment, tokens: TokenCache, reader: RequestReader) throws -> Response {
        let query = env.query
        let q = request.uri.queryParameters
        let resume = request.headers[Self.lastEventID] ?? q.get("after") ?? "0"
        guard let start = Int64(resume), start >= 0 else {
            throw Problem(.badRequest, "Last-Event-ID or after must be a cursor (0 or more), got '\(resume.prefix(40))'", field: "after")
        }
        let maxSeconds = try q.get("maxSeconds").map { try reader.int($0, "maxSeconds") }
        if let m = maxSeconds, !(1...86_400).contains(m) {
            throw Problem(.badRequest, "maxSeconds must be between 1 and 86400", field: "maxSeconds")
        }
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
                guard try await tokens.verify(bearer) != nil else {
                    let problem = Problem(.unauthorized, "the token was revoked; this stream has ended")
                    try await writer.write(ByteBuffer(string: "event: revoked\ndata: \(String(decoding: try encoder.encode(problem), as: UTF8.self))\n\n"))
                    break
                }
                let from = cursor
                let page = try await env.run { try query.changes(after: from, limit: 500) }
                cursor = page.nextCursor
                if page.changes.isEmpty {
                    if ContinuousClock.now - lastWrite >= .seconds(15) {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        lastWrite = .now
                    }
                    // Woken by the next commit; at the latest after a second, to check the token.
                    await query.waitForChanges(after: cursor, timeout: .seconds(1))
                    continue
                }
                var text = ""
                for view in page.changes {
                    text += "id: \(view.cursor)\nevent: \(view.kind)\ndata: \(String(decoding: try encoder.encode(view), as: UTF8.self))\n\n"
                }
                try await writer.write(ByteBuffer(string: text))
                lastWrite = .now
            }
            try await writer.finish(nil)
        })
    }
}

import CoalitionCore
import CoalitionStore
import Foundation
import Hummingbird
import NIOHTTP1

/// An error response in RFC 9457 form (`application/problem+json`): a status, a short title, a
/// detail for people, and — for bad input — the offending field.
public struct Problem: Error, HTTPResponseError, Codable, Sendable, Equatable {
    public var type: String = "about:blank"
    public var title: String
    /// The HTTP status code (`status` in the JSON body).
    public var statusCode: Int
    public var detail: String
    /// The request field at fault (`items[3].value`, `kind`, …), when there is one.
    public var field: String?

    public init(_ status: HTTPResponse.Status, _ detail: String, field: String? = nil) {
        self.title = status.reasonPhrase
        self.statusCode = status.code
        self.detail = detail
        self.field = field
    }

    /// A `CoalitionError` as a 400 (or 404, 403, 413, 415 for an unsupported media format, 422
    /// for corrupt media, or 503 with `Retry-After: 1`), naming its field under `prefix`.
    public init(_ error: CoalitionError, prefix: String? = nil) {
        let status: HTTPResponse.Status = switch error.code {
        case .notFound: .notFound
        case .forbidden: .forbidden
        case .tooLarge: .contentTooLarge
        case .unavailable: .serviceUnavailable
        case .unsupportedMedia: .unsupportedMediaType
        case .corruptMedia, .timeout: .unprocessableContent
        default: .badRequest
        }
        let field = [prefix, error.field].compactMap { $0 }.joined(separator: ".")
        self.init(status, error.message, field: field.isEmpty ? nil : field)
        if error.code == .unavailable { retryAfter = 1 }
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if let retry = retryAfter { headers[.retryAfter] = String(retry) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: jsonBody))
    }

    /// The problem document, encoded (keys sorted).
    var jsonBody: ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only strings and integers: encoding cannot fail.
        let data: Data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    /// Seconds to wait, for 429 answers (sent as `Retry-After`, not in the body).
    public var retryAfter: Int? = nil

    enum CodingKeys: String, CodingKey {
        case type, title, detail, field
        case statusCode = "status"
    }
}

/// Turns every error — ours, Hummingbird's (unknown route, body too large, bad JSON) or
/// unexpected ones — into problem+json, and logs server errors.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let error as CoalitionError {
            return try Problem(error).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let detail: String = switch error.status {
            case .notFound: "no such endpoint: \(request.method) \(request.uri.path)"
            case .contentTooLarge: "the request body is larger than the limit"
            case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
            default: "\(error)"
            }
            return try Problem(error.status, detail).response(from: request, context: context)
        } catch let error as DecodingError {
            return try Problem.decoding(error).response(from: request, context: context)
        } catch let error as HTTPParserError {
            // The body could not be parsed (a malformed chunk size): the client's fault, not ours.
            return try HTTPRequestGuard.problem(for: error).response(from: request, context: context)
        } catch where StorageFailure.isDiskFull(error) {
            context.logger.error("the store's disk is full; the request was refused: \(error)", metadata: ["http.path": "\(request.uri.path)"])
            var problem = Problem(.init(code: 507, reasonPhrase: "Insufficient Storage"), "the node's disk is full: nothing was stored; free space on the data directory's volume, then retry")
            problem.retryAfter = 60
            return try problem.response(from: request, context: context)
        } catch where StorageFailure.isReadOnly(error) {
            context.logger.error("the store is read-only; the request was refused: \(error)", metadata: ["http.path": "\(request.uri.path)"])
            var problem = Problem(.serviceUnavailable, "the node's data directory is read-only: nothing was stored; make it writable again (a remount or its permissions), then retry")
            problem.retryAfter = 60
            return try problem.response(from: request, context: context)
        } catch {
            context.logger.error("request failed: \(error)", metadata: ["http.path": "\(request.uri.path)"])
            return try Problem(.internalServerError, "internal error").response(from: request, context: context)
        }
    }
}

extension Problem {
    /// A JSON body that does not fit the schema, with the path of the field at fault.
    public static func decoding(_ error: DecodingError) -> Problem {
        func path(_ p: [any CodingKey]) -> String? {
            let s = p.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            let trimmed = s.hasPrefix(".") ? String(s.dropFirst()) : s
            return trimmed.isEmpty ? nil : trimmed
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let field = path(ctx.codingPath + [key])
            return Problem(.badRequest, "missing field '\(field ?? key.stringValue)'", field: field)
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            return Problem(.badRequest, "wrong type at '\(path(ctx.codingPath) ?? "body")'", field: path(ctx.codingPath))
        case .dataCorrupted(let ctx):
            return Problem(.badRequest, ctx.codingPath.isEmpty ? "the body is not valid JSON" : "invalid value at '\(path(ctx.codingPath)!)'",
                           field: path(ctx.codingPath))
        @unknown default:
            return Problem(.badRequest, "the body does not match the schema")
        }
    }
}

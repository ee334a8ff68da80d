import CoalitionCore
import CoalitionQuery
import Foundation
import Hummingbird

/// Reads what a request carries (query parameters, path parameters, JSON bodies) and turns
/// every malformed part into a ``Problem`` naming the field.
struct RequestReader: Sendable {
    let configuration: APIConfiguration

    /// A boolean query parameter: `true` or `false`, nothing else (a typo such as `TRUE` or `1`
    /// must not quietly mean false).
    func bool(_ s: String?, _ field: String) throws -> Bool? {
        switch s {
        case nil: return nil
        case "true": return true
        case "false": return false
        case let other?: throw Problem(.badRequest, "'\(field)' must be true or false, got '\(other.prefix(40))'", field: field)
        }
    }

    func int(_ s: String, _ field: String) throws -> Int {
        guard let v = Int(s) else { throw Problem(.badRequest, "'\(field)' must be an integer, got '\(s)'", field: field) }
        return v
    }

    /// A required query parameter.
    func required(_ q: Parameters, _ name: String) throws -> String {
        guard let v = q.get(name) else { throw Problem(.badRequest, "query parameter '\(name)' is required", field: name) }
        return v
    }

    func decode<T: Decodable>(_ request: Request) async throws -> T {
        try decode(T.self, from: try await body(of: request))
    }

    /// A `POST /v1/lookup` body: plain bodies through ``LookupRequestParser``, the rest (and
    /// every error) through `JSONDecoder`.
    func decodeLookup(_ request: Request) async throws -> LookupRequest {
        let bytes = try await body(of: request)
        if let parsed = bytes.withUnsafeReadableBytes(LookupRequestParser.parse) { return parsed }
        return try decode(LookupRequest.self, from: bytes)
    }

    /// The request's body, up to the configured limit (413 beyond it).
    func body(of request: Request) async throws -> ByteBuffer {
        // A declared length over the limit is refused before a byte of the body is read.
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.maxBodyBytes {
            throw Problem(.contentTooLarge, "the request body is \(declared) bytes; the limit is \(configuration.maxBodyBytes)", field: "body")
        }
        var request = request
        return try await request.collectBody(upTo: configuration.maxBodyBytes)
    }

    private func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: bytes))
        } catch let error as DecodingError {
            throw Problem.decoding(error)
        }
    }

    /// The `:id` path parameter as a signal ID.
    func signalID(_ context: APIRequestContext) throws -> EntryID {
        try QueryService.signalID(context.parameters.get("id") ?? "")
    }
}

import Hummingbird

/// Gives every request with a body a deadline: a request still in progress after `seconds` (a
/// client that sends its body too slowly, say) is cancelled and answered 503 with `Retry-After`.
///
/// Requests without a body are not wrapped. This API's handlers for them do not wait on anything
/// a cancellation could interrupt (they read memory and SQLite synchronously), and the wrapping,
/// a task group and a timer per request, cost about a tenth of a lookup's time. The idle timeout
/// of the HTTP server still closes connections that go quiet. The event stream is exempt too: it
/// is meant to stay open. Media uploads (`/hash`, `/lookup/media`) get `uploadSeconds`: their
/// hashing has its own time limit, which this must not cut short.
struct TimeoutMiddleware<Context: RequestContext>: RouterMiddleware {
    let seconds: Double
    var uploadSeconds: Double? = nil

    /// Carries the non-`Sendable` continuation into the child task; the task group guarantees
    /// that the child ends before this call returns, so it never outlives its caller.
    private struct Next: @unchecked Sendable {
        let call: (Request, Context) async throws -> Response
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let hasBody = request.headers[.contentLength].map { $0 != "0" } ?? (request.headers[.transferEncoding] != nil)
        if !hasBody || request.uri.path.hasSuffix("/stream") { return try await next(request, context) }
        let path = request.uri.path
        let limit = path.hasSuffix("/hash") || path.hasSuffix("/lookup/media") ? uploadSeconds ?? seconds : seconds
        return try await withoutActuallyEscaping(next) { next in
            let boxed = Next(call: next)
            let contextBox = UncheckedBox(context)
            return try await withThrowingTaskGroup(of: Response?.self) { group in
                group.addTask { try await boxed.call(request, contextBox.value) }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(Int64(limit * 1000)))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else {
                    var problem = Problem(.serviceUnavailable, "the request took longer than \(limit) s and was cancelled")
                    problem.retryAfter = 1
                    throw problem
                }
                return response
            }
        }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

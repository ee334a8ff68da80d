import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Keeps one HTTP/1.1 connection of the API honest, between Hummingbird's HTTP codec and its
/// request handling:
///
/// - **Header deadline.** A request's head must arrive complete within `headerTimeout` of the
///   connection opening, and within `idleTimeout` of the previous response; otherwise the
///   connection is closed. Hummingbird's own idle timer counts decoded parts, so a client that
///   trickles one header byte every few seconds (slowloris) would hold its connection for ever.
/// - **Malformed requests get problem+json.** An `HTTPParserError` between requests (a bad
///   request line, oversized headers, a NUL or raw 0xFF byte) is answered here with a problem
///   document naming the fault, then the connection is closed; Hummingbird would answer a bare
///   400 with no body. One in a request body (a malformed chunk size) is passed on to the route
///   reading the body, whose error answer (400, see `ProblemMiddleware`) is the response.
/// - **`Expect: 100-continue`** is answered `100 Continue` as the head arrives.
/// - **No reuse after an unread body.** A response that ends before its request's body was read
///   (413 for a declared length over the limit, 503 for a body sent too slowly) closes the
///   connection, instead of waiting for a body that may never come.
final class HTTPRequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let logger: Logger
    /// A request head was read and its end was not.
    private var readingRequest = false
    /// A response head was written and its end was not.
    private var writingResponse = false
    /// Requests read whose responses have not ended (more than one when pipelined).
    private var inFlight = 0
    /// The parser failed: the connection ends once the requests in flight are answered.
    private var broken = false
    /// The answer to the malformed request, sent after those of the requests before it.
    private var pendingProblem: Problem?
    /// Since when, and for how long, the connection may wait for its next request head; nil
    /// while a request is being read or answered.
    private var waiting: (since: NIODeadline, limit: TimeAmount)?
    /// At most one timer per connection. A request does not schedule or cancel one: when the
    /// timer fires it closes an overdue wait, or sets itself for the current wait's deadline.
    /// (A timer per request cost a schedule and a cancel on every keep-alive request.)
    private var timer: (task: Scheduled<Void>, due: NIODeadline)?

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, logger: Logger) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { wait(context, limit: headerTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if waiting == nil { wait(context, limit: headerTimeout) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { stopTimer() }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            waiting = nil
            readingRequest = true
            inFlight += 1
            // A client that waits for leave to send its body (curl does, for uploads over
            // 1 MiB) gets it at once rather than after its own timeout; a refusal still comes as
            // the final response, and closes the connection if the body is then left unread.
            if head.headerFields[.expect]?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .body:
            break
        case .end:
            readingRequest = false
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head:
            writingResponse = true
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            writingResponse = false
            inFlight = max(0, inFlight - 1)
            if broken && inFlight > 0 {
                context.write(data, promise: promise)
            } else if broken || readingRequest {
                // The rest of the request is unread (or unreadable): do not wait for it.
                if let problem = pendingProblem {
                    context.write(data, promise: promise)
                    respond(context, with: problem)
                } else {
                    closeAfter(context, writing: data, promise: promise)
                }
            } else {
                context.write(data, promise: promise)
                wait(context, limit: idleTimeout)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parse = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        broken = true
        let problem = Self.problem(for: parse)
        logger.info("malformed HTTP request: \(problem.detail)", metadata: ["http.error": "\(parse)", "http.status": "\(problem.statusCode)"])
        if readingRequest && !writingResponse && inFlight == 1 {
            // The route is reading this request's body: its failure becomes the answer.
            context.fireErrorCaught(error)
        } else if inFlight == 0 {
            respond(context, with: problem)
        } else if !readingRequest {
            // Pipelined after requests still being answered: answered after them, in order.
            pendingProblem = problem
        }
        // Otherwise the body of a request being answered is broken: `write` closes the
        // connection once that response ends.
    }

    /// The problem document for a parse failure: which part of the request is at fault.
    static func problem(for error: HTTPParserError) -> Problem {
        switch error {
        case .headerOverflow:
            return Problem(.init(code: 431, reasonPhrase: "Request Header Fields Too Large"), "the request's headers are larger than the server accepts", field: "headers")
        case .invalidCharactersUsed, .invalidHeaderToken, .lfExpected, .invalidConstant:
            return Problem(.badRequest, "the request holds a byte HTTP does not allow here (NUL, a control character or raw non-ASCII); percent-encode it", field: "headers")
        case .invalidURL:
            return Problem(.badRequest, "the request target is not a valid URL path (NUL, control characters and raw non-ASCII bytes must be percent-encoded)", field: "path")
        case .invalidMethod:
            return Problem(.badRequest, "the request line's method is not valid", field: "method")
        case .invalidVersion:
            return Problem(.badRequest, "the request line's HTTP version is not valid; this server speaks HTTP/1.1", field: "version")
        case .invalidContentLength, .unexpectedContentLength:
            return Problem(.badRequest, "Content-Length is not a valid length, or conflicts with Transfer-Encoding", field: "Content-Length")
        case .invalidChunkSize:
            return Problem(.badRequest, "the chunked body has a malformed chunk size (hexadecimal digits expected)", field: "body")
        default:
            return Problem(.badRequest, "the request is not valid HTTP/1.1 (\(error))")
        }
    }

    private func respond(_ context: ChannelHandlerContext, with problem: Problem) {
        waiting = nil
        let body = problem.jsonBody
        var fields = HTTPFields()
        fields[.contentType] = "application/problem+json"
        fields[.contentLength] = String(body.readableBytes)
        fields[.connection] = "close"
        let head = HTTPResponse(status: problem.status, headerFields: fields)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        closeAfter(context, writing: wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Writes and flushes `data`, then closes the connection once it is sent.
    private func closeAfter(_ context: ChannelHandlerContext, writing data: NIOAny, promise: EventLoopPromise<Void>?) {
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { result in
            promise?.completeWith(result)
            context.close(promise: nil)
        }
        context.writeAndFlush(data, promise: written)
    }

    /// Starts waiting for a request head, for at most `limit`.
    private func wait(_ context: ChannelHandlerContext, limit: TimeAmount) {
        let now = NIODeadline.now()
        waiting = (now, limit)
        // A timer due by the end of this wait serves it (when it fires it re-arms for the rest);
        // one due later, as after an idleTimeout shorter than the headerTimeout, is replaced.
        if let t = timer, t.due <= now + limit { return }
        stopTimer()
        schedule(context, at: now + limit)
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let task = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.timer = nil
            // A request is in progress: its end starts the next wait, which sets a new timer.
            guard let waiting = self.waiting else { return }
            let due = waiting.since + waiting.limit
            if NIODeadline.now() < due {
                self.schedule(context, at: due)
                return
            }
            self.logger.debug("closing an HTTP connection that sent no complete request head in time", metadata: ["http.timeout": "\(waiting.limit)"])
            context.close(promise: nil)
        }
        timer = (task, deadline)
    }

    private func stopTimer() {
        timer?.task.cancel()
        timer = nil
    }
}

@available(*, unavailable)
extension HTTPRequestGuard: Sendable {}

extension HTTPServerBuilder {
    /// HTTP/1.1 for the API: Hummingbird's channel, with an ``HTTPRequestGuard`` on every
    /// connection.
    /// - Parameters:
    ///   - headerTimeout: how long a new connection may take to send a complete request head.
    ///   - idleTimeout: how long a keep-alive connection may stay quiet between requests.
    public static func coalitionAPI(headerTimeout: Duration, idleTimeout: Duration, logger: Logger) -> HTTPServerBuilder {
        let header = TimeAmount(headerTimeout), idle = TimeAmount(idleTimeout)
        return .http1(configuration: .init(additionalChannelHandlers: [HTTPRequestGuard(headerTimeout: header, idleTimeout: idle, logger: logger)],
                                           idleTimeout: idle))
    }
}

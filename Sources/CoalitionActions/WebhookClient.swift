import CoalitionAlert
import CoalitionCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Posts one webhook delivery over HTTP/1.1 and reports the response's status, within a time
/// limit. HTTPS endpoints are verified against the system's trust store (and the host name).
/// One connection per delivery: the endpoint's answer, not a pool, decides when the next goes.
public struct WebhookClient: Sendable {
    let group: any EventLoopGroup
    let tls: NIOSSLContext

    /// - Throws: when the system's trust store cannot be loaded.
    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.group = group
        var config = TLSConfiguration.makeClientConfiguration()
        config.minimumTLSVersion = .tlsv12
        config.certificateVerification = .fullVerification
        tls = try NIOSSLContext(configuration: config)
    }

    /// Sends `body` with `headers` to `url`.
    /// - Returns: the HTTP status, or why there was none (refused, timed out, bad certificate…).
    public func post(_ url: WebhookURL, headers: [(String, String)], body: [UInt8], timeout: Duration) async -> DeliveryPolicy.Outcome {
        let promise = group.next().makePromise(of: Int.self)
        let tls = self.tls
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if url.secure {
                        let isAddress = (try? SocketAddress(ipAddress: url.host, port: 0)) != nil
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : url.host))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(StatusHandler(promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: url.host, port: url.port).get()
        } catch {
            promise.fail(error)
            return .failed("cannot connect to \(url.hostHeader): \(Self.describe(error))")
        }
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)) {
            promise.fail(TimedOut())
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.target)
        head.headers.add(name: "Host", value: url.hostHeader)
        head.headers.add(name: "User-Agent", value: "coalition-webhooks/1")
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            // Shutting down: close the connection rather than wait out the timeout.
            let status = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
            timer.cancel()
            channel.close(promise: nil)
            return .status(status)
        } catch is TimedOut {
            return .failed("no answer from \(url.hostHeader) within \(timeout)")
        } catch {
            timer.cancel()
            channel.close(promise: nil)
            return .failed("\(url.hostHeader): \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? NIOSSLError { return "TLS: \(e)" }
        if let e = error as? BoringSSLError { return "TLS: \(e)" }
        return "\(error)"
    }

    struct TimedOut: Error {}

    /// Completes the promise with the response's status once the response has ended.
    final class StatusHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        let promise: EventLoopPromise<Int>
        var status: Int?

        init(promise: EventLoopPromise<Int>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h): status = Int(h.status.code)
            case .body: break
            case .end:
                if let status { promise.succeed(status) } else { promise.fail(ChannelError.inappropriateOperationForState) }
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            // Closed before the response ended: an answer with a status line still counts.
            if let status { promise.succeed(status) } else { promise.fail(ChannelError.eof) }
            context.fireChannelInactive()
        }
    }
}

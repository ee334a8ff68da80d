import Logging
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops a listening socket from spinning when the process runs out of file descriptors.
///
/// When `accept` fails with `EMFILE` or `ENFILE` (or `ENOBUFS`/`ENOMEM`), the pending connection
/// stays in the kernel's queue, so the socket stays readable. SwiftNIO's `AcceptBackoffHandler`
/// withholds the next read, but the channel keeps its earlier read registration, so epoll
/// reports the socket again at once: one core spins on failing `accept4` calls and the event
/// loop starves. This handler, first in the server channel's pipeline, turns `autoRead` off on
/// such an error (which drops the registration), logs once per episode, and turns it back on
/// after ``pause``. The queued connections are accepted once descriptors are free again; the
/// recovery is logged with the number of failed attempts.
public final class AcceptOverloadHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = any Channel
    public typealias InboundOut = any Channel

    /// How long accepting pauses after a failure.
    public let pause: TimeAmount
    private let logger: Logger
    private let what: String
    private let failures: NIOLockedValueBox<Int>?
    private let budget: ConnectionBudget?
    private var failedAttempts = 0
    /// When an episode was last logged: a load that hovers at the limit is logged once a minute.
    private var lastLogged: NIODeadline?
    private var paused = false

    /// - Parameters:
    ///   - listener: what the socket serves, for the log ("the HTTP API", "gossip").
    ///   - failures: counts every failed accept, for metrics.
    ///   - budget: the connections the process may hold; one beyond it is closed at once and
    ///     counted as a failed accept.
    public init(listener: String, pause: TimeAmount = .seconds(1), logger: Logger, failures: NIOLockedValueBox<Int>? = nil,
                budget: ConnectionBudget? = nil) {
        self.what = listener
        self.pause = pause
        self.logger = logger
        self.failures = failures
        self.budget = budget
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let budget {
            let child = unwrapInboundIn(data)
            guard budget.admit() else {
                child.close(promise: nil)
                failures?.withLockedValue { $0 += 1 }
                if shouldLog() {
                    logger.error("out of file descriptors: \(budget.limit) connections are open, the most the descriptor limit leaves room for; closing new ones and pausing accepts, retrying every \(pause.nanoseconds / 1_000_000) ms. Raise the limit (LimitNOFILE=, ulimit -n) or lower the load",
                                 metadata: ["listener": "\(what)"])
                }
                failedAttempts += 1
                pauseAccepting(context: context)
                return
            }
            child.closeFuture.whenComplete { _ in budget.release() }
        }
        if failedAttempts > 0 {
            logger.notice("accepting connections again", metadata: ["listener": "\(what)", "accept.failed_attempts": "\(failedAttempts)"])
            failedAttempts = 0
        }
        context.fireChannelRead(data)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let io = error as? IOError, Self.isResourceExhaustion(io.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        failures?.withLockedValue { $0 += 1 }
        if shouldLog() {
            logger.error("out of file descriptors: cannot accept connections; pausing accepts and retrying every \(pause.nanoseconds / 1_000_000) ms. Raise the limit (LimitNOFILE=, ulimit -n) or lower the load",
                         metadata: ["listener": "\(what)", "error": "\(io)"])
        }
        failedAttempts += 1
        pauseAccepting(context: context)
    }

    private func shouldLog() -> Bool {
        guard failedAttempts == 0 else { return false }
        let now = NIODeadline.now()
        if let last = lastLogged, now - last < .seconds(60) { return false }
        lastLogged = now
        return true
    }

    private func pauseAccepting(context: ChannelHandlerContext) {
        guard !paused else { return }
        paused = true
        _ = context.channel.setOption(ChannelOptions.autoRead, value: false)
        context.eventLoop.assumeIsolated().scheduleTask(in: pause) { [self] in
            paused = false
            if context.channel.isActive { _ = context.channel.setOption(ChannelOptions.autoRead, value: true) }
        }
    }

    /// Errors that say the process or the system lacks the resources for one more socket.
    static func isResourceExhaustion(_ code: Int32) -> Bool {
        code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM
    }
}

@available(*, unavailable)
extension AcceptOverloadHandler: Sendable {}

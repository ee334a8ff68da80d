import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP relay for one link of the network lab: it accepts on one address and connects each
/// connection to a target, passing bytes both ways in order, with faults set at run time:
/// - a delay on every chunk, plus a random jitter (chunks are never reordered);
/// - a pause, which holds every byte in both directions until it ends (a partition: the
///   connections stay open and silent, as when routes vanish, and what was sent arrives after);
/// - with no target, it accepts and then never answers (a peer that stalls).
final class FaultRelay: @unchecked Sendable {
    struct Faults: Sendable {
        var delay: Double = 0
        var jitter: Double = 0
        var paused = false
    }

    let host: String
    let port: Int
    let target: (host: String, port: Int)?
    fileprivate let faults = NIOLockedValueBox(Faults())
    fileprivate let pipes = NIOLockedValueBox<[ObjectIdentifier: RelayPipe]>([:])
    private var server: (any Channel)?

    init(host: String, port: Int, target: (host: String, port: Int)?) {
        self.host = host
        self.port = port
        self.target = target
    }

    func start() throws {
        server = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] inbound in
                guard let target else { return inbound.eventLoop.makeSucceededVoidFuture() }  // stall: never read, never answer
                let pipe = RelayPipe(relay: self, loop: inbound.eventLoop)
                pipes.withLockedValue { $0[ObjectIdentifier(pipe)] = pipe }
                do {
                    try inbound.pipeline.syncOperations.addHandler(RelaySide(pipe: pipe, inbound: true))
                } catch {
                    return inbound.eventLoop.makeFailedFuture(error)
                }
                pipe.attach(inbound, inbound: true)
                ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { out in
                        out.eventLoop.makeCompletedFuture { try out.pipeline.syncOperations.addHandler(RelaySide(pipe: pipe, inbound: false)) }
                    }
                    .connect(host: target.host, port: target.port)
                    .whenComplete { result in
                        switch result {
                        case .success(let out): pipe.attach(out, inbound: false)
                        case .failure: inbound.close(promise: nil)
                        }
                    }
                return inbound.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: host, port: port).wait()
    }

    /// Changes the faults; bytes held by a pause are sent on when it ends.
    func set(_ change: (inout Faults) -> Void) {
        faults.withLockedValue { change(&$0) }
        for pipe in pipes.withLockedValue({ Array($0.values) }) { pipe.loop.execute { pipe.flush() } }
    }

    func stop() {
        try? server?.close().wait()
        for pipe in pipes.withLockedValue({ Array($0.values) }) { pipe.loop.execute { pipe.closeAll() } }
    }
}

/// One relayed connection: both channels live on one event loop, and so does this state.
private final class RelayPipe: @unchecked Sendable {
    let relay: FaultRelay
    let loop: any EventLoop
    private var channels: [Bool: any Channel] = [:]
    private var held: [Bool: [ByteBuffer]] = [true: [], false: []]
    private var last: [Bool: NIODeadline] = [:]

    init(relay: FaultRelay, loop: any EventLoop) {
        self.relay = relay
        self.loop = loop
    }

    func attach(_ channel: any Channel, inbound: Bool) {
        channels[inbound] = channel
        flush()
    }

    /// Bytes that arrived on one side, for the other.
    func received(_ buffer: ByteBuffer, onInboundSide: Bool) {
        held[!onInboundSide, default: []].append(buffer)
        flush()
    }

    func flush() {
        let faults = relay.faults.withLockedValue { $0 }
        guard !faults.paused else { return }
        for side in [true, false] {
            guard let channel = channels[side], let queue = held[side], !queue.isEmpty else { continue }
            held[side] = []
            for buffer in queue {
                let delay = faults.delay + (faults.jitter > 0 ? Double.random(in: 0...faults.jitter) : 0)
                var at = NIODeadline.now() + .nanoseconds(Int64(delay * 1e9))
                if let previous = last[side], at <= previous { at = previous + .nanoseconds(1) }
                last[side] = at
                loop.scheduleTask(deadline: at) { channel.writeAndFlush(buffer, promise: nil) }
            }
        }
    }

    func closed() {
        closeAll()
        relay.pipes.withLockedValue { $0[ObjectIdentifier(self)] = nil }
    }

    func closeAll() {
        for channel in channels.values { channel.close(promise: nil) }
        channels = [:]
    }
}

private final class RelaySide: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    let pipe: RelayPipe
    let inbound: Bool

    init(pipe: RelayPipe, inbound: Bool) {
        self.pipe = pipe
        self.inbound = inbound
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pipe.received(unwrapInboundIn(data), onInboundSide: inbound)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pipe.closed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

import NIOConcurrencyHelpers
import NIOCore

/// Counts the bytes a connection moves on the socket, TLS records and handshake included, for
/// `coalition status` and the sync-cost benchmark. Sits at the head of the pipeline.
final class WireByteCounter: ChannelDuplexHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let counts = NIOLockedValueBox<(inbound: UInt64, outbound: UInt64)>((0, 0))

    var totals: (inbound: UInt64, outbound: UInt64) { counts.withLockedValue { $0 } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let n = UInt64(unwrapInboundIn(data).readableBytes)
        counts.withLockedValue { $0.inbound += n }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let n = UInt64(unwrapOutboundIn(data).readableBytes)
        counts.withLockedValue { $0.outbound += n }
        context.write(data, promise: promise)
    }
}

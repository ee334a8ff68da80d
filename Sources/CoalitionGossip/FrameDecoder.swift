import CoalitionSync
import NIOCore

/// A received frame, decoded, with its size on the wire (before TLS).
public struct InboundFrame: Sendable {
    public let message: WireMessage
    public let byteCount: Int
}

/// Splits the byte stream into frames (`length u32 ‖ type u8 ‖ payload`, §13.2) and decodes
/// them. A length above the limit is refused as soon as the 4 length bytes arrive, before any
/// payload is buffered, so an oversized frame cannot make the node allocate.
package struct FrameDecoder: NIOSingleStepByteToMessageDecoder {
    package typealias InboundOut = InboundFrame

    let maxFrameBytes: Int

    package init(maxFrameBytes: Int) { self.maxFrameBytes = maxFrameBytes }

    package mutating func decode(buffer: inout ByteBuffer) throws -> InboundFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length >= 1 else { throw WireError(.malformed, "a frame of length 0 has no type") }
        guard Int(length) <= maxFrameBytes else {
            throw WireError(.frameTooLarge, "frame of \(length) bytes exceeds the limit of \(maxFrameBytes)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let type: UInt8 = buffer.readInteger()!
        let payload = buffer.readBytes(length: Int(length) - 1)!
        return InboundFrame(message: try WireMessage(type: type, payload: payload), byteCount: 4 + Int(length))
    }

    package mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> InboundFrame? {
        try decode(buffer: &buffer)
    }
}

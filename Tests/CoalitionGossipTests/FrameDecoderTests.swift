import CoalitionCrypto
@testable import CoalitionGossip
import CoalitionSync
import NIOCore
import NIOEmbedded
import Testing

@Suite struct FrameDecoderTests {
    static let key = try! Signer(seed: [UInt8](repeating: 4, count: 32)).publicKey

    @Test(arguments: [1, 2, 3, 7, 64])
    func framesSplitAnywhereDecodeInOrder(chunk: Int) throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameBytes: 1 << 20)))
        let messages: [WireMessage] = [.hello(.init(member: Self.key)), .keepAlive(nonce: 5, reply: true), .entries([[UInt8](repeating: 9, count: 200)]),
                                       .unknown(type: 250, payload: [1])]
        let bytes = messages.flatMap { $0.frame() }
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            try channel.writeInbound(ByteBuffer(bytes: bytes[start..<min(bytes.count, start + chunk)]))
        }
        var got: [WireMessage] = []
        while let frame = try channel.readInbound(as: InboundFrame.self) { got.append(frame.message) }
        #expect(got.map(\.typeByte) == messages.map(\.typeByte))
        #expect(got[2] == messages[2])
        _ = try channel.finish()
    }

    @Test func anOversizedLengthIsRefusedBeforeItsPayloadArrives() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameBytes: 1000)))
        var header = ByteBuffer()
        header.writeInteger(UInt32(1001))
        #expect(throws: WireError(.frameTooLarge, "")) { try channel.writeInbound(header) }
    }

    @Test func aZeroLengthFrameIsMalformed() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameBytes: 1000)))
        #expect(throws: WireError(.malformed, "")) { try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 0])) }
    }

    @Test func theCertificateCarriesTheMemberKey() throws {
        let signer = Signer()
        let identity = try TLSIdentity(signer: signer, name: "photo-app")
        #expect(TLSIdentity.memberKey(of: identity.certificate) == signer.publicKey)
        #expect(identity.memberKey == signer.publicKey)
    }
}

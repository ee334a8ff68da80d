import CoalitionCore
import CoalitionCrypto
import Testing
@testable import CoalitionSync

@Suite struct PeerProtocolTests {
    static let me = try! Signer(seed: [UInt8](repeating: 1, count: 32)).publicKey
    static let peer = try! Signer(seed: [UInt8](repeating: 2, count: 32)).publicKey
    static let other = try! Signer(seed: [UInt8](repeating: 3, count: 32)).publicKey

    func fresh() -> PeerProtocol { PeerProtocol(localHello: .init(member: Self.me), authenticatedKey: Self.peer) }

    @Test func helloEstablishesAndMessagesMapToActions() {
        var p = fresh()
        let hello = WireMessage.Hello(member: Self.peer, maxFrameBytes: 200_000)
        do { let action = p.receive(.hello(hello)); #expect(action == .established(hello)) }
        #expect(p.sendFrameLimit == 200_000)
        let summary = HeadsSummary(authors: [])
        do { let action = p.receive(.heads(summary)); #expect(action == .sendMissing(summary)) }
        do { let action = p.receive(.entries([[1, 2]])); #expect(action == .ingest([[1, 2]])) }
        do { let action = p.receive(.entries([])); #expect(action == .none) }
        do { let action = p.receive(.rangeRequest(author: Self.other, from: 1, to: 2)); #expect(action == .serveRange(author: Self.other, from: 1, to: 2)) }
        do { let action = p.receive(.keepAlive(nonce: 9, reply: true)); #expect(action == .send(.keepAlive(nonce: 9, reply: false))) }
        do { let action = p.receive(.keepAlive(nonce: 9, reply: false)); #expect(action == .none) }
        do { let action = p.receive(.unknown(type: 99, payload: [])); #expect(action == .ignored(type: 99)) }
        do { let action = p.receive(.forkProof([1], [2])); #expect(action == .checkForkProof([1], [2])) }
        do { let action = p.receive(.goodbye(.shuttingDown, "bye")); #expect(action == .peerClosed(.shuttingDown, "bye")) }
        #expect(p.state == .closed)
        do { let action = p.receive(.entries([[1]])); #expect(action == .none) }
    }

    @Test func anythingBeforeHelloIsAProtocolError() {
        var p = fresh()
        do { let action = p.receive(.entries([[1]])); #expect(action == .close(WireError(.unexpectedMessage, ""))) }
        #expect(p.state == .closed)
        var q = fresh()
        do { let action = q.receive(.unknown(type: 77, payload: [])); #expect(action == .close(WireError(.unexpectedMessage, ""))) }
    }

    @Test func helloMustNameTheKeyTLSProved() {
        var p = fresh()
        do { let action = p.receive(.hello(.init(member: Self.other))); #expect(action == .close(WireError(.identityMismatch, ""))) }
    }

    @Test func badVersionsFramesAndRepeatsAreRefused() {
        var p = fresh()
        do { let action = p.receive(.hello(.init(version: 0, member: Self.peer))); #expect(action == .close(WireError(.unsupportedVersion, ""))) }
        var q = fresh()
        do { let action = q.receive(.hello(.init(member: Self.peer, maxFrameBytes: 100))); #expect(action == .close(WireError(.malformed, ""))) }
        var r = fresh()
        _ = r.receive(.hello(.init(member: Self.peer)))
        do { let action = r.receive(.hello(.init(member: Self.peer))); #expect(action == .close(WireError(.unexpectedMessage, ""))) }
    }

    @Test func aNewerVersionIsSpokenToAtVersionOne() {
        var p = fresh()
        let hello = WireMessage.Hello(version: 3, capabilities: .init(rawValue: 0xff00), member: Self.peer)
        do { let action = p.receive(.hello(hello)); #expect(action == .established(hello)) }
    }
}

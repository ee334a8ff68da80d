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

    // MARK: decisions the session used to make

    static func entry(_ signer: Signer, seq: UInt64, value: String) throws -> Entry {
        let body = Body.publish(try Signal(kind: .md5, value: value, category: "violence"))
        if seq == 1 { return try Entry.sign(by: signer, seq: 1, prev: .zero, timestamp: 1_000, body: body) }
        return try Entry.sign(by: signer, seq: seq, prev: try EntryID(bytes: [UInt8](repeating: 7, count: 32)), timestamp: 1_000, body: body)
    }

    @Test("a fork proof of two valid entries of one author at one seq is stored; anything else closes the session")
    func forkProofs() throws {
        let s = try Signer()
        let a = try Self.entry(s, seq: 3, value: String(repeating: "a", count: 32))
        let b = try Self.entry(s, seq: 3, value: String(repeating: "b", count: 32))
        var p = fresh()
        _ = p.receive(.hello(WireMessage.Hello(member: Self.peer, maxFrameBytes: 200_000)))
        do { let action = p.receive(.forkProof(a.bytes, b.bytes)); #expect(action == .storeForkProof(a.bytes, b.bytes, author: s.publicKey, seq: 3)) }
        let other = try Self.entry(s, seq: 4, value: String(repeating: "b", count: 32))
        let stranger = try Self.entry(try Signer(), seq: 3, value: String(repeating: "b", count: 32))
        var badSignature = b.bytes
        badSignature[badSignature.count - 1] ^= 1
        for (x, y) in [(a.bytes, a.bytes), (a.bytes, other.bytes), (a.bytes, stranger.bytes), (a.bytes, badSignature), ([1], [2])] {
            var q = fresh()
            _ = q.receive(.hello(WireMessage.Hello(member: Self.peer, maxFrameBytes: 200_000)))
            guard case .close(let error) = q.receive(.forkProof(x, y)) else { Issue.record("an invalid fork proof was accepted"); continue }
            #expect(error.code == .invalidEntry)
            #expect(q.state == .closed)
        }
    }

    @Test("a range request is served up to 100,000 seqs")
    func rangeLimit() {
        var p = fresh()
        _ = p.receive(.hello(WireMessage.Hello(member: Self.peer, maxFrameBytes: 200_000)))
        do { let action = p.receive(.rangeRequest(author: Self.other, from: 5, to: 10_000_000)); #expect(action == .serveRange(author: Self.other, from: 5, to: 100_004)) }
        do { let action = p.receive(.rangeRequest(author: Self.other, from: 5, to: 100_004)); #expect(action == .serveRange(author: Self.other, from: 5, to: 100_004)) }
        do { let action = p.receive(.rangeRequest(author: Self.other, from: UInt64.max - 1, to: UInt64.max)); #expect(action == .serveRange(author: Self.other, from: UInt64.max - 1, to: UInt64.max)) }
    }

    @Test("pending entries lead to one range request per gap, not repeated while its answer is on the way")
    func gapRequests() throws {
        let a = try Signer().publicKey, b = try Signer().publicKey
        var g = GapRequests()
        // Head 10, entries up to 15 waiting: ask for 11…14.
        #expect(g.requests(for: [a: (head: 10, waiting: 15)]) == [.init(author: a, from: 11, to: 14)])
        // The same gap again (more pending entries arrived): already asked.
        #expect(g.requests(for: [a: (head: 10, waiting: 15)]).isEmpty)
        // A larger gap is asked for.
        #expect(g.requests(for: [a: (head: 10, waiting: 20)]) == [.init(author: a, from: 11, to: 19)])
        // Once the head passed what was asked, a new gap is asked again.
        #expect(g.requests(for: [a: (head: 19, waiting: 25)]) == [.init(author: a, from: 20, to: 24)])
        // A fork below the head: ask for the missing predecessor itself.
        #expect(g.requests(for: [b: (head: 30, waiting: 12)]) == [.init(author: b, from: 11, to: 11)])
        // Nothing to ask for a seq-1 entry's "gap".
        var h = GapRequests()
        #expect(h.requests(for: [b: (head: 0, waiting: 1)]).isEmpty)
    }
}

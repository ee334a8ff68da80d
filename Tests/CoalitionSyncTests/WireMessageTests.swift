import CoalitionCore
import CoalitionCrypto
import CoalitionTestSupport
import Testing
@testable import CoalitionSync

@Suite struct WireMessageTests {
    static let key = try! Signer(seed: [UInt8](repeating: 7, count: 32)).publicKey

    static let samples: [WireMessage] = [
        .hello(.init(member: key)),
        .heads(HeadsSummary(replyRequested: true, authors: [
            .init(authorPrefix: 0x0102030405060708, seq: 300, headPrefix: 0xffee, equivocatingCount: nil),
            .init(authorPrefix: 9, seq: 1, headPrefix: 2, equivocatingCount: 17),
        ])),
        .entries([[UInt8](repeating: 1, count: 151), [UInt8](repeating: 2, count: 400)]),
        .rangeRequest(author: key, from: 5, to: 1_000_000),
        .forkProof([UInt8](repeating: 3, count: 151), [UInt8](repeating: 4, count: 152)),
        .keepAlive(nonce: 42, reply: true),
        .goodbye(.invalidEntry, "bad signature on entry 3"),
        .unknown(type: 200, payload: [1, 2, 3]),
    ]

    @Test(arguments: samples)
    func roundTrips(_ message: WireMessage) throws {
        let frame = message.frame()
        var r = WireReader(frame)
        let length = try r.u32("length")
        #expect(Int(length) == frame.count - 4)
        let type = try r.u8("type")
        let decoded = try WireMessage(type: type, payload: try r.raw(r.remaining, "payload"))
        #expect(decoded == message)
        #expect(message.frameByteCount == frame.count)
        if case .hello(let h) = decoded, case .hello(let h0) = message {
            #expect(h.member == h0.member && h.version == h0.version && h.capabilities == h0.capabilities)
        }
    }

    @Test("a goodbye reason of invalid or cut UTF-8 at the size limit decodes to a message that re-encodes to itself")
    func goodbyeReasonsAreClippedToWholeCharacters() throws {
        // 256 bytes, the limit, of which some are not UTF-8: each decodes as U+FFFD (3 bytes).
        var w = WireWriter()
        w.u16(WireError.Code.malformed.rawValue)
        w.lengthPrefixed([UInt8](repeating: 0x9E, count: 100) + [UInt8](repeating: 0x61, count: 156))
        let decoded = try WireMessage(type: WireMessage.Kind.goodbye.rawValue, payload: w.bytes)
        let again = try WireMessage(type: decoded.typeByte, payload: decoded.payload())
        #expect(again == decoded)
        guard case .goodbye(_, let reason) = decoded else { Issue.record("not a goodbye"); return }
        #expect(reason.utf8.count <= WireLimits.maxReasonBytes)
        // A long reason of several-byte characters is cut between characters, not inside one.
        let sent = WireMessage.goodbye(.malformed, String(repeating: "é", count: 200))
        guard case .goodbye(_, let received) = try WireMessage(type: sent.typeByte, payload: sent.payload()) else { return }
        #expect(received == String(repeating: "é", count: 128))
    }

    @Test func truncatedPayloadsAreRejectedWithTheField() {
        for message in Self.samples where message.kind != nil {
            let payload = message.payload()
            for cut in 0..<payload.count {
                let prefix = Array(payload.prefix(cut))
                #expect(throws: WireError.self, "\(message.kind!) cut at \(cut)") {
                    _ = try WireMessage(type: message.typeByte, payload: prefix)
                }
            }
        }
    }

    @Test func trailingBytesAndBadRangesAreMalformed() throws {
        var payload = WireMessage.keepAlive(nonce: 1, reply: false).payload()
        payload.append(0)
        #expect(throws: WireError(.malformed, "")) { try WireMessage(type: 6, payload: payload) }
        let empty = WireMessage.rangeRequest(author: Self.key, from: 9, to: 3).payload()
        #expect(throws: WireError(.malformed, "")) { try WireMessage(type: 4, payload: empty) }
    }

    @Test func anOversizedEntryInAFrameIsRefused() {
        var w = WireWriter()
        w.varint(1)
        w.varint(UInt64(Limits.maxEntryBytes + 1))
        w.raw([UInt8](repeating: 0, count: Limits.maxEntryBytes + 1))
        #expect(throws: WireError(.malformed, "")) { try WireMessage(type: 3, payload: w.bytes) }
    }

    @Test func aHugeCountCannotAllocate() {
        var w = WireWriter()
        w.varint(60_000)  // claims 60,000 entries in a 3-byte payload
        #expect(throws: WireError(.truncated, "")) { try WireMessage(type: 3, payload: w.bytes) }
    }

    @Test func varintsAreMinimalAndBounded() throws {
        for v: UInt64 in [0, 1, 127, 128, 300, 1 << 35, .max] {
            var w = WireWriter()
            w.varint(v)
            var r = WireReader(w.bytes)
            #expect(try r.varint("v") == v)
            #expect(r.isAtEnd)
        }
        var overlong = WireReader([0x80, 0x00])
        #expect(throws: WireError(.malformed, "")) { try overlong.varint("v") }
        var tooBig = WireReader([UInt8](repeating: 0xff, count: 10) + [0x01])
        #expect(throws: WireError.self) { try tooBig.varint("v") }
    }

    /// The digest of 20 authors stays well under the 1 KiB in-sync budget of §13.4.
    @Test func headsForTwentyAuthorsAreCompact() {
        let heads = (0..<20).map { i in
            LocalHead(author: try! Signer(seed: [UInt8](repeating: UInt8(i + 1), count: 32)).publicKey,
                      seq: 50_000, head: try! EntryID(bytes: [UInt8](repeating: UInt8(i), count: 32)), entryCount: 50_000, equivocating: false)
        }
        let frame = WireMessage.heads(HeadsSummary(local: heads)).frame()
        #expect(frame.count == 5 + 1 + 1 + 20 * (8 + 3 + 8 + 1))
        let hello = WireMessage.hello(.init(member: Self.key)).frame()
        #expect(2 * (frame.count + hello.count) < 1024)
    }
}

extension WireMessage: CustomTestStringConvertible {
    public var testDescription: String { kind.map { "\($0)" } ?? "unknown(\(typeByte))" }
}

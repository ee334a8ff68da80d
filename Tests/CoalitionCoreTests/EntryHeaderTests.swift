import CoalitionCore
import CoalitionCrypto
import Testing

@Suite struct EntryHeaderTests {
    @Test("peeking gives the decoder's author, seq and ID; short or unknown-version bytes give nothing")
    func peekMatchesDecode() throws {
        let s = try Signer()
        let body = Body.publish(try Signal(kind: .md5, value: String(repeating: "a", count: 32), category: "violence"))
        let first = try Entry.sign(by: s, seq: 1, prev: .zero, timestamp: 5, body: body)
        let second = try Entry.sign(by: s, seq: 2, prev: first.id, timestamp: 6, body: body)
        for e in [first, second] {
            let h = try #require(EntryHeader(peeking: e.bytes))
            #expect(h.author == e.author && h.seq == e.seq)
            #expect(EntryHeader.id(of: e.bytes) == e.id)
        }
        #expect(EntryHeader(peeking: Array(first.bytes.prefix(Entry.headerByteCount - 1))) == nil)
        var version = first.bytes
        version[0] = 2
        #expect(EntryHeader(peeking: version) == nil)
    }

    @Test("a signed rotation whose successor field has the wrong length is refused naming the field, not a crash")
    func rotationWithAWrongLengthSuccessor() throws {
        let s = try Signer()
        // tag 1 (successor): 224 bytes; tag 2 (signature): 64 bytes.
        func field(_ tag: UInt8, _ value: [UInt8]) -> [UInt8] {
            [tag] + withUnsafeBytes(of: UInt32(value.count).bigEndian, Array.init) + value
        }
        let body = field(1, [UInt8](repeating: 7, count: 224)) + field(2, [UInt8](repeating: 0, count: 64))
        let e = try Entry.sign(by: s, seq: 1, prev: .zero, timestamp: 5, bodyType: BodyType.keyRotation, bodyBytes: body)
        #expect(throws: CoalitionError.self) { try e.decodeBody() }
        do {
            _ = try e.decodeBody()
        } catch {
            #expect(error.field == "successor" && error.message.contains("32 bytes"), "\(error)")
        }
    }
}

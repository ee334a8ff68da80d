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
}

import CoalitionCore
import CoalitionCrypto
import CoalitionNode
import Foundation
import Testing

@Suite("Export format")
struct ExportFormatTests {
    let entry: Entry = {
        let s = try! Signer(seed: [UInt8](repeating: 8, count: 32))
        return try! Entry.sign(by: s, seq: 1, prev: .zero, timestamp: 5,
                               body: .publish(try! Signal(kind: .md5, value: String(repeating: "c", count: 32), category: "violence")))
    }()

    @Test("a line round-trips to the same bytes")
    func roundTrip() throws {
        let line = ExportedEntry(entry).jsonLine()
        #expect(try ExportedEntry.decodeEntry(Substring(line)).bytes == entry.bytes)
    }

    @Test("tampered metadata or bytes are rejected with the field named", arguments: [
        ("\"seq\":1", "\"seq\":2", "seq"),
        ("\"type\":\"publish\"", "\"type\":\"retract\"", "type"),
    ])
    func tampering(from: String, to: String, field: String) throws {
        let line = ExportedEntry(entry).jsonLine().replacingOccurrences(of: from, with: to)
        do {
            _ = try ExportedEntry.decodeEntry(Substring(line))
            Issue.record("accepted a tampered \(field)")
        } catch {
            #expect(error.field == field)
        }
    }

    @Test("a stated id that does not match the bytes is rejected")
    func wrongID() {
        var exported = ExportedEntry(entry)
        exported.id = String(repeating: "0", count: 64)
        #expect(throws: CoalitionError.self) { try ExportedEntry.decodeEntry(Substring(exported.jsonLine())) }
    }
}

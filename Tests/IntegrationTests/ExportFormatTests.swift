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

    @Test("every key is required, seq is a plain integer, author is spelled canonically; each failure names its key", arguments: [
        ("missing seq", #"{"author":"A","entry":"E","id":"I","type":"publish"}"#, "seq"),
        ("missing author", #"{"entry":"E","id":"I","seq":1,"type":"publish"}"#, "author"),
        ("only entry", #"{"entry":"E"}"#, "author"),
        ("seq 1.0", #"{"author":"A","entry":"E","id":"I","seq":1.0,"type":"publish"}"#, "seq"),
        ("seq 1e0", #"{"author":"A","entry":"E","id":"I","seq":1e0,"type":"publish"}"#, "seq"),
        ("seq as a string", #"{"author":"A","entry":"E","id":"I","seq":"1","type":"publish"}"#, "seq"),
        ("type as a number", #"{"author":"A","entry":"E","id":"I","seq":1,"type":1}"#, "type"),
        ("bad base64", #"{"author":"A","entry":"!!!","id":"I","seq":1,"type":"publish"}"#, "entry"),
        ("lowercase author", "LOWER", "author"),
        ("base64 without padding", "NOPAD", "entry"),
    ])
    func strictLine(name: String, template: String, field: String) throws {
        let good = ExportedEntry(entry)
        let line: String
        if template == "LOWER" {
            line = good.jsonLine().replacingOccurrences(of: good.author, with: good.author.lowercased())
        } else if template == "NOPAD" {
            #expect(good.entry.hasSuffix("="), "the vector's entry needs padding for this case")
            line = good.jsonLine().replacingOccurrences(of: good.entry, with: String(good.entry.prefix { $0 != "=" }))
        } else {
            line = template.replacingOccurrences(of: "\"A\"", with: "\"\(good.author)\"").replacingOccurrences(of: "\"E\"", with: "\"\(good.entry)\"")
                .replacingOccurrences(of: "\"I\"", with: "\"\(good.id)\"")
        }
        do {
            _ = try ExportedEntry.decodeEntry(Substring(line))
            Issue.record("\(name): accepted")
        } catch {
            #expect(error.field == field, "\(name): \(error)")
        }
    }

    @Test("a line that is not a JSON object is rejected with no field")
    func notAnObject() {
        for line in ["{\"author\":", "[1,2]", "not json"] {
            do {
                _ = try ExportedEntry.decodeEntry(Substring(line))
                Issue.record("accepted \(line)")
            } catch {
                #expect(error.field == nil && error.message.contains("not one JSON object"), "\(line): \(error)")
            }
        }
    }

    @Test("a stated id that does not match the bytes is rejected")
    func wrongID() {
        var exported = ExportedEntry(entry)
        exported.id = String(repeating: "0", count: 64)
        #expect(throws: CoalitionError.self) { try ExportedEntry.decodeEntry(Substring(exported.jsonLine())) }
    }
}

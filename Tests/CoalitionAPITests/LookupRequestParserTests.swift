@testable import CoalitionAPI
@testable import CoalitionQuery
import CoalitionTestSupport
import Foundation
import Testing

/// `LookupRequestParser` reads plain lookup bodies; whenever it answers, the answer must be
/// `JSONDecoder`'s, and it must answer for what clients usually send.
struct LookupRequestParserTests {
    private func fast(_ text: String) -> LookupRequest? {
        Array(text.utf8).withUnsafeBytes(LookupRequestParser.parse)
    }

    private func decoded(_ text: String) -> LookupRequest? {
        try? JSONDecoder().decode(LookupRequest.self, from: Data(text.utf8))
    }

    private func same(_ a: LookupRequest, _ b: LookupRequest) -> Bool {
        a.items.map(\.kind) == b.items.map(\.kind) && a.items.map(\.value) == b.items.map(\.value)
            && a.distance == b.distance && a.minQuality == b.minQuality && a.includeInactive == b.includeInactive
    }

    /// Characters of plain strings, non-ASCII included.
    private static let alphabet = Array("abcXYZ019:/?#%&=.-_ é漢🙂#ß")

    private func randomRequest(_ rng: inout SeededRandom) -> LookupRequest {
        let items = (0..<Int(rng.next() % 6)).map { _ in
            LookupItem(kind: ["md5", "sha256", "url", "pdq", "trend", ""][Int(rng.next() % 6)],
                       value: String((0..<Int(rng.next() % 12)).map { _ in Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))] }))
        }
        return LookupRequest(items: items, distance: rng.next() % 2 == 0 ? nil : Int(rng.next() % 70) - 3,
                             minQuality: rng.next() % 2 == 0 ? nil : Int(rng.next() % 101),
                             includeInactive: rng.next() % 3 == 0 ? nil : rng.next() % 2 == 0)
    }

    /// The body as a client writes it, with random whitespace between tokens.
    private func text(_ r: LookupRequest, _ rng: inout SeededRandom) -> String {
        func ws() -> String { ["", " ", "\n  ", "\t", "\r\n"][Int(rng.next() % 5)] }
        var members = ["\"items\"\(ws()):\(ws())[" + r.items.map { item in
            let pair = ["\"kind\":\(ws())\"\(item.kind)\"", "\"value\"\(ws()):\"\(item.value)\""]
            return "\(ws()){\(ws())" + (rng.next() % 2 == 0 ? pair : pair.reversed()).joined(separator: "\(ws()),\(ws())") + "\(ws())}"
        }.joined(separator: ",") + "\(ws())]"]
        if let d = r.distance { members.append("\"distance\":\(ws())\(d)") }
        if let q = r.minQuality { members.append("\"minQuality\":\(q)\(ws())") }
        if let b = r.includeInactive { members.append("\(ws())\"includeInactive\":\(b)") }
        members.shuffle(using: &rng)
        return "\(ws()){" + members.joined(separator: "\(ws()),") + "}\(ws())"
    }

    @Test func plainBodiesAreParsedAsJSONDecoderDecodesThem() throws {
        var rng = SeededRandom(seed: 41)
        for _ in 0..<2_000 {
            let request = randomRequest(&rng)
            let body = text(request, &rng)
            let parsed = try #require(fast(body), "plain body not parsed: \(body)")
            let reference = try #require(decoded(body), "JSONDecoder rejects the generated body: \(body)")
            #expect(same(parsed, reference), "\(body)")
            #expect(same(parsed, request), "\(body)")
        }
    }

    @Test func anythingElseIsLeftToJSONDecoder() {
        // Each is valid JSON that the plain form does not cover, or invalid JSON.
        let declined = [
            #"{"items":[{"kind":"md5","value":"a\"b"}]}"#,        // an escape
            #"{"items":[{"kind":"md5","value":"\u0041"}]}"#,
            #"{"items":[],"distance":null}"#,                    // null
            #"{"items":[],"distance":3.0}"#,                     // a fraction
            #"{"items":[],"distance":1e1}"#,
            #"{"items":[],"extra":1}"#,                          // an unknown member
            #"{"items":[],"items":[]}"#,                         // a repeated member
            #"{"items":[{"kind":"md5","value":"x","kind":"url"}]}"#,
            #"{"items":[{"kind":"md5"}]}"#,                      // a missing member
            #"{"distance":3}"#,
            #"{"items":[{"kind":"md5","value":"x"},]}"#,         // invalid JSON from here on
            #"{"items":[{"kind":"md5","value":"x"}]"#,
            #"{"items":[],"distance":01}"#,
            #"{"items":[],"includeInactive":tru}"#,
            #"{"items":[]} x"#,
            #"{"items":[],"distance":1234567890123456}"#,        // more than 15 digits
            // More digits than an Int holds: once an arithmetic overflow that crashed the node
            // (libFuzzer, the `lookup` target).
            "{\"distance\":\n\t\n    " + String(repeating: "6", count: 53) + "                \n",
            #"{"items":[],"minQuality":-99999999999999999999999}"#,
            "{\"items\":[{\"kind\":\"md5\",\"value\":\"a\tb\"}]}", // a raw control character
            "",
        ]
        for body in declined { #expect(fast(body) == nil, "\(body)") }
        // Invalid UTF-8 inside a string.
        let bytes = Array(#"{"items":[{"kind":"md5","value":"#.utf8) + [0x22, 0xC3, 0x28, 0x22] + Array("}]}".utf8)
        #expect(bytes.withUnsafeBytes(LookupRequestParser.parse) == nil)
    }

    /// Truncated and corrupted plain bodies: the parser either declines or agrees with JSONDecoder.
    @Test func damagedBodiesNeverDisagreeWithJSONDecoder() {
        var rng = SeededRandom(seed: 42)
        var answered = 0
        for _ in 0..<3_000 {
            var bytes = Array(text(randomRequest(&rng), &rng).utf8)
            switch rng.next() % 3 {
            case 0: bytes.removeLast(Int(rng.next() % UInt64(bytes.count)))
            case 1: bytes[Int(rng.next() % UInt64(bytes.count))] = Array("{}[],:\" 0-9tfnx\\".utf8)[Int(rng.next() % 16)]
            default: bytes.insert(Array("{}[],:\"0-e.".utf8)[Int(rng.next() % 11)], at: Int(rng.next() % UInt64(bytes.count + 1)))
            }
            guard let parsed = bytes.withUnsafeBytes(LookupRequestParser.parse) else { continue }
            answered += 1
            let reference = try? JSONDecoder().decode(LookupRequest.self, from: Data(bytes))
            #expect(reference.map { same(parsed, $0) } == true, "\(String(decoding: bytes, as: UTF8.self))")
        }
        // Some damage leaves a valid plain body (a digit changed, whitespace added): those were compared.
        #expect(answered > 100)
    }
}

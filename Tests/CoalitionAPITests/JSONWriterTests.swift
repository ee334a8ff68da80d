@testable import CoalitionAPI
@testable import CoalitionQuery
import Foundation
import Testing

/// The lookup answers are written by `JSONWriter`; they must be the bytes the API's
/// `JSONEncoder` (sorted keys, `/` unescaped) writes for the same values.
struct JSONWriterTests {
    private func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return e
    }

    private func written(_ value: some JSONWritable) -> [UInt8] {
        var json = JSONWriter()
        value.write(to: &json)
        return json.bytes
    }

    /// A view with optional fields present or absent and awkward strings, made by decoding (the
    /// type has no memberwise initialiser).
    private func view(_ n: Int, note: String?, quality: Int?, opinions: Int, sources: Int) throws -> SignalView {
        var v: [String: Any] = [
            "id": String(repeating: "ab", count: 32), "kind": "url", "value": "https://example.com/a/\(n)?q=\"x\"", "category": "violence",
            "severity": "high", "tlp": "amber+strict", "labels": n % 2 == 0 ? [] : ["a/b", "ünï", "tab\there"],
            "author": "MEMBER-\(n)", "authorName": "Platform \\ \(n)", "publishedAt": "2025-12-31T23:59:59.999Z",
            "restricted": n % 2 == 1, "status": "active", "verdict": "disputed",
            "opinions": (0..<opinions).map { o -> [String: Any] in
                var d: [String: Any] = ["author": "O\(o)", "authorName": "n\(o)", "stance": "dispute", "at": "2026-02-02T00:00:00.000Z"]
                if o % 2 == 1 { d["note"] = "why \u{1}" }
                return d
            },
            "sources": (0..<sources).map { ["signal": "s\($0)", "author": "A\($0)", "authorName": "name \($0)", "publishedAt": "p", "status": "retracted"] },
        ]
        if n % 3 != 0 { v["expiresAt"] = "2026-01-01T00:00:00.000Z" }
        if let note { v["note"] = note }
        if let quality { v["quality"] = quality }
        if n % 4 == 1 { v["retractionReason"] = "mistake\n"; v["retractedBy"] = String(repeating: "cd", count: 32) }
        return try JSONDecoder().decode(SignalView.self, from: JSONSerialization.data(withJSONObject: v))
    }

    @Test func lookupAnswersMatchJSONEncoderByteForByte() throws {
        var results: [LookupResult] = []
        for n in 0..<12 {
            let matches = try (0..<(n % 3)).map { m in
                SignalMatch(distance: m == 0 ? nil : m * 7 - 20, signal: try view(n + m, note: n % 2 == 0 ? nil : "note \(n) \u{0} \u{1F} é 🙂",
                                                                                   quality: n % 3 == 0 ? nil : n * 9, opinions: n % 4, sources: 1 + n % 3))
            }
            results.append(LookupResult(kind: "url", value: "HTTPS://Example.com/\(n)", canonical: "https://example.com/\(n)",
                                        matches: matches, override: n % 5 == 0 ? "ignore" : nil, flagged: n % 2 == 0))
            let one = LookupResponse(results: [results[n]])
            #expect(written(one) == Array(try encoder().encode(one)), "response \(n)")
        }
        let all = LookupResponse(results: results)
        #expect(written(all) == Array(try encoder().encode(all)))
        #expect(written(LookupResponse(results: [])) == Array(try encoder().encode(LookupResponse(results: []))))
    }

    @Test func stringsEscapeControlCharactersQuotesAndBackslashes() throws {
        var json = JSONWriter()
        json.string("a\"b\\c/d\n\r\t\u{8}\u{C}\u{0}\u{1F}é")
        #expect(String(decoding: json.bytes, as: UTF8.self) == #""a\"b\\c/d\n\r\t\b\f\u0000\u001fé""#)
        let decoded = try JSONDecoder().decode(String.self, from: Data(json.bytes))
        #expect(decoded == "a\"b\\c/d\n\r\t\u{8}\u{C}\u{0}\u{1F}é")
    }

    @Test func integersIncludingExtremes() throws {
        for v in [0, 7, -1, 10, -10, 123_456_789, Int.max, Int.min] {
            var json = JSONWriter()
            json.int(v)
            #expect(String(decoding: json.bytes, as: UTF8.self) == String(v))
        }
    }
}

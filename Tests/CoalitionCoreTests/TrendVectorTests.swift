import CoalitionCore
import Foundation
import Testing

/// `Protocol/test-vectors/trends.json`: SPEC §5.8's publish rule for trends, with the Unicode
/// repertoire of §5.6 rule 5. `Protocol/tools/verify_vectors.py` checks the same cases.
@Suite struct TrendVectorTests {
    struct File: Decodable {
        struct Case: Decodable, Sendable, CustomTestStringConvertible {
            var name: String
            var input: String
            var canonical: String?
            var reject: String?
            var testDescription: String { name }
        }
        var cases: [Case]
    }

    static var cases: [File.Case] { (try? VectorFiles.load("trends.json", as: File.self).cases) ?? [] }

    @Test("the file has cases on both sides of the Unicode 15.0 repertoire")
    func present() {
        #expect(Self.cases.count >= 20)
        #expect(Self.cases.contains { $0.input.unicodeScalars.contains("\u{1FAE8}") && $0.canonical != nil })
        #expect(Self.cases.contains { $0.input.unicodeScalars.contains("\u{1FAE9}") && $0.reject != nil })
    }

    @Test("each trend as typed gives the stated canonical bytes, or is rejected", arguments: cases)
    func rule(_ c: File.Case) {
        do {
            let got = try TrendCanonicalizer.canonicalize(c.input)
            #expect(c.reject == nil, "accepted as \(got), expected a rejection")
            #expect(Array(got.utf8) == Array((c.canonical ?? "").utf8), "got \(got.unicodeScalars.map { String($0.value, radix: 16) })")
        } catch {
            #expect(c.reject != nil, "rejected: \(error.reason)")
        }
    }

    @Test("a rejected code point is named with its Unicode version")
    func message() {
        #expect(throws: CanonicalizationFailure(reason: "the trend contains U+1FAE9, which is not assigned in Unicode 15.0")) {
            try TrendCanonicalizer.canonicalize("#tired\u{1FAE9}")
        }
        #expect(throws: CanonicalizationFailure(reason: "the host contains U+0378, which is not assigned in Unicode 15.0")) {
            try URLCanonicalizer.canonicalize("https://ex\u{378}ample.com/")
        }
        // Only the host consults Unicode data; a path keeps any code point, percent-encoded.
        #expect((try? URLCanonicalizer.canonicalize("https://example.com/\u{1FAE9}")) == "https://example.com/%F0%9F%AB%A9")
    }
}

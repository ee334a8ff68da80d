import CoalitionCore
import Foundation
import Testing

/// `Protocol/test-vectors/labels.json`: SPEC §5.4's publish rule for labels, which
/// `Protocol/tools/verify_vectors.py` checks too.
@Suite struct LabelVectorTests {
    struct File: Decodable {
        struct Case: Decodable, Sendable, CustomTestStringConvertible {
            var name: String
            var input: [String]
            var canonical: [String]?
            var reject: String?
            var testDescription: String { name }
        }
        var cases: [Case]
    }

    static var cases: [File.Case] { (try? VectorFiles.load("labels.json", as: File.self).cases) ?? [] }

    @Test("the file has cases for both orders of two spellings of one label")
    func present() {
        #expect(Self.cases.count >= 15)
        #expect(Self.cases.contains { $0.input == ["\u{e9}", "e\u{301}"] } && Self.cases.contains { $0.input == ["e\u{301}", "\u{e9}"] })
    }

    @Test("each list of labels as typed gives the stated canonical list, byte for byte, or is rejected", arguments: cases)
    func rule(_ c: File.Case) {
        do {
            let got = try SignalRules.canonicalLabels(c.input)
            #expect(c.reject == nil, "accepted, expected rejection: \(c.reject ?? "")")
            #expect(got.map { Array($0.utf8) } == (c.canonical ?? []).map { Array($0.utf8) }, "got \(got)")
        } catch {
            #expect(c.reject != nil, "rejected: \(error)")
            #expect(error.field == "labels")
        }
    }
}

@testable import CoalitionCore
import Testing

/// Text fields of a body are strict UTF-8 with no NUL (SPEC §4): every malformed form is refused,
/// every well-formed one kept byte for byte.
@Suite("Text fields")
struct TextFieldTests {
    @Test("malformed UTF-8 is refused, naming the field",
          arguments: [
              [0x66, 0xC3, 0x28],              // a lead byte followed by ASCII
              [0x80],                          // a lone continuation byte
              [0x61, 0xE2, 0x82],              // truncated at the end
              [0xEF, 0xBF],                    // truncated replacement character
              [0xC0, 0xAF],                    // overlong '/'
              [0xE0, 0x80, 0xAF],              // overlong, three bytes
              [0xED, 0xA0, 0x80],              // a UTF-16 surrogate
              [0xF4, 0x90, 0x80, 0x80],        // beyond U+10FFFF
              [0xFF, 0x61],                    // never valid
          ] as [[UInt8]])
    func refusesMalformed(bytes: [UInt8]) {
        #expect {
            _ = try FieldList.decodeText(bytes[...], "note", maxBytes: 1024)
        } throws: { error in
            let e = error as? CoalitionError
            return e?.code == .malformedEntry && e?.field == "note"
        }
    }

    @Test("well-formed UTF-8 is kept byte for byte, including U+FFFD itself",
          arguments: ["", "plain", "caf\u{E9}", "\u{FFFD}", "a\u{FFFD}b", "\u{1F600} emoji", "e\u{301}", "\u{10FFFF}"])
    func keepsWellFormed(text: String) throws {
        let bytes = Array(text.utf8)
        let decoded = try FieldList.decodeText(bytes[...], "note", maxBytes: 1024)
        #expect(Array(decoded.utf8) == bytes)
    }

    @Test("NUL and oversized text are refused")
    func refusesNulAndOversized() {
        #expect(throws: CoalitionError.self) { try FieldList.decodeText([0x61, 0x00][...], "note", maxBytes: 10) }
        #expect {
            _ = try FieldList.decodeText(Array(repeating: 0x61, count: 11)[...], "note", maxBytes: 10)
        } throws: { ($0 as? CoalitionError)?.code == .tooLarge }
    }
}

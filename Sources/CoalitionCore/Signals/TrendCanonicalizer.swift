// Canonical form of `trend` signal values: a hashtag, keyword or phrase naming
// a dangerous trend or challenge. The normative rules are in
// Protocol/spec-parts/canonical-values.md.

/// Canonicalises the value of a `trend` signal.
///
/// The value is NFC-normalised, lowercased with the Unicode default full
/// lowercase mapping, NFC-normalised again, trimmed, and every run of
/// whitespace inside it becomes one ASCII space. A leading `#` marks a hashtag,
/// which may not contain spaces. Emoji and every script are preserved.
public enum TrendCanonicalizer {
    /// The longest accepted canonical trend, in UTF-8 bytes.
    static let maxBytes = 256

    /// Returns the canonical form of `input`, or throws a
    /// ``CanonicalizationFailure`` saying why it is not an acceptable trend.
    public static func canonicalize(_ input: String) throws(CanonicalizationFailure) -> String {
        try CanonicalText.checkRepertoire(input, "the trend")
        let mapped = CanonicalText.nfc(CanonicalText.lowercaseFull(CanonicalText.nfc(input)))

        // Trim White_Space and collapse each inner run of it to one U+0020.
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in mapped.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !scalars.isEmpty
                continue
            }
            if pendingSpace {
                scalars.append(" ")
                pendingSpace = false
            }
            scalars.append(scalar)
        }

        if scalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw fail("the trend contains a control character")
        }
        guard let first = scalars.first else { throw fail("the trend is empty") }
        if first == "#" {
            let afterHash = scalars.dropFirst()
            guard let second = afterHash.first else { throw fail("the hashtag has no text after \"#\"") }
            if second == " " { throw fail("the \"#\" is followed by whitespace") }
            if afterHash.contains(" ") { throw fail("a hashtag may not contain spaces") }
        }
        guard scalars.contains(where: isLetterOrDigit) else {
            throw fail("the trend contains no letter or digit")
        }
        let result = String(scalars)
        guard result.utf8.count <= maxBytes else { throw fail("the trend is longer than \(maxBytes) bytes") }
        return result
    }

    /// General category L* (any letter) or Nd (decimal digit).
    private static func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber:
            true
        default:
            false
        }
    }

    private static func fail(_ reason: String) -> CanonicalizationFailure {
        CanonicalizationFailure(reason: reason)
    }
}

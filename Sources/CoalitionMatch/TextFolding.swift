
import Foundation

/// Splits text into folded tokens for trend matching (the API's `match/text`):
///
/// - **Folding**: full Unicode lowercase, then canonical decomposition with combining marks
///   removed (so `É` and `e` match), then NFC.
/// - **Tokens** are maximal runs of letters, digits, symbols (emoji) and format characters
///   (zero-width joiners); everything else (spaces, punctuation) separates tokens, so matches
///   respect word boundaries.
/// - **Hashtags**: a `#` directly before a token is kept on it (`#blackoutchallenge`).
public enum TextFolding {
    public static func tokens(_ text: String) -> [String] {
        let folded = fold(text)
        var out: [String] = []
        var current = String.UnicodeScalarView()
        var hashPending = false
        func flush() {
            if !current.isEmpty { out.append((hashPending ? "#" : "") + String(current)) }
            current = String.UnicodeScalarView()
            hashPending = false
        }
        for scalar in folded.unicodeScalars {
            if isTokenScalar(scalar) {
                current.append(scalar)
            } else {
                flush()
                hashPending = scalar == "#"
            }
        }
        flush()
        return out
    }

    /// Lowercase, strip diacritics, NFC.
    public static func fold(_ text: String) -> String {
        let lowered = text.lowercased()
        var scalars = String.UnicodeScalarView()
        for s in lowered.decomposedStringWithCanonicalMapping.unicodeScalars {
            switch s.properties.generalCategory {
            case .nonspacingMark, .enclosingMark, .spacingMark:
                // Diacritics go; so do emoji variation selectors (also nonspacing marks).
                continue
            default:
                scalars.append(s)
            }
        }
        return String(scalars).precomposedStringWithCanonicalMapping
    }

    private static func isTokenScalar(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .letterNumber, .otherNumber, .otherSymbol, .format, .connectorPunctuation:
            true
        default:
            false
        }
    }
}

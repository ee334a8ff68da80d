// Pieces shared by the signal-value canonicalisers: the failure type and the
// Unicode normalisation they rely on. See Protocol/spec-parts/canonical-values.md.

/// Why a value was rejected by a canonicaliser.
///
/// `reason` is a short human sentence naming what is wrong (for example
/// "the URL has no host"). The wording is informative only: implementations
/// must agree on *whether* a value is rejected, not on the sentence.
public struct CanonicalizationFailure: Error, Sendable, Equatable {
    /// A short human-readable sentence describing the problem.
    public let reason: String

    /// Creates a failure with the given human-readable reason.
    public init(reason: String) {
        self.reason = reason
    }
}

/// Unicode helpers used by the canonicalisers.
///
/// Everything here uses the Unicode tables built into the Swift standard
/// library (Unicode 17.0 in Swift 6.3), so normalisation, case mapping and
/// character properties all come from one Unicode version. Values holding a
/// code point unassigned in Unicode 15.0 are rejected first (SPEC §5.6 rule 5),
/// so the results are those of every implementation with 15.0 tables or later. Foundation's
/// `precomposedStringWithCanonicalMapping` also works on Linux, but its tables
/// are older than the standard library's (it does not compose characters
/// added in Unicode 16.0), so mixing the two would pin no single version.
enum CanonicalText {
    /// The Unicode version whose repertoire the publish rules accept (SPEC §5.6 rule 5): a code
    /// point that this version left unassigned is rejected, so that implementations whose tables
    /// are of this version or later give the same results.
    static let repertoire: (major: Int, minor: Int) = (15, 0)

    /// The first code point of `text` that is unassigned (General_Category Cn) in Unicode
    /// ``repertoire``: one unassigned in the standard library's own tables (noncharacters included),
    /// or one assigned only in a later version.
    static func firstUnassigned(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { scalar in
            let p = scalar.properties
            guard p.generalCategory != .unassigned, let age = p.age else { return true }
            return (age.major, age.minor) > repertoire
        }
    }

    /// Rejects `text` when it holds a code point outside the repertoire; `what` names the value.
    static func checkRepertoire(_ text: String, _ what: String) throws(CanonicalizationFailure) {
        if let s = firstUnassigned(in: text) {
            let hex = String(s.value, radix: 16, uppercase: true)
            throw CanonicalizationFailure(reason: "\(what) contains U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex), which is not assigned in Unicode \(repertoire.major).\(repertoire.minor)")
        }
    }

    /// Unicode Normalization Form C of `text`.
    static func nfc(_ text: String) -> String {
        // `_nfcCodeUnits` is the standard library's own NFC (the one `String`
        // comparison is built on); it returns the UTF-8 bytes of the NFC form.
        String(decoding: text._nfcCodeUnits, as: UTF8.self)
    }

    /// Applies each scalar's full `Lowercase_Mapping` independently, with no
    /// context-sensitive rules. This is exactly Swift's `String.lowercased()`.
    static func lowercasePerScalar(_ text: String) -> String {
        text.lowercased()
    }

    /// The Unicode default full lowercase mapping (`toLowercase`, Unicode
    /// §3.13): each scalar's full `Lowercase_Mapping`, plus the one
    /// language-independent conditional mapping, Final_Sigma, under which
    /// U+03A3 GREEK CAPITAL LETTER SIGMA becomes U+03C2 (final sigma) at the
    /// end of a word. Matches Python's `str.lower()` and Rust's
    /// `str::to_lowercase()`; Swift's `lowercased()` omits Final_Sigma.
    static func lowercaseFull(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        for index in scalars.indices {
            let scalar = scalars[index]
            if scalar.value == 0x03A3 {
                let sigma: Unicode.Scalar = isFinalSigma(scalars, at: index) ? "\u{03C2}" : "\u{03C3}"
                out.append(sigma)
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    /// Final_Sigma, evaluated greedily as CPython and Rust do: skip
    /// Case_Ignorable scalars backwards, the next one must be Cased; skip
    /// Case_Ignorable scalars forwards, the next one (if any) must not be Cased.
    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        var before = index - 1
        while before >= 0, scalars[before].properties.isCaseIgnorable { before -= 1 }
        guard before >= 0, scalars[before].properties.isCased else { return false }
        var after = index + 1
        while after < scalars.count, scalars[after].properties.isCaseIgnorable { after += 1 }
        return after == scalars.count || !scalars[after].properties.isCased
    }
}

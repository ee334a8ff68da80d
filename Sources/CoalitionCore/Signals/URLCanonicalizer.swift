// Canonical form of `url` signal values. A self-contained parser working on
// UTF-8 bytes, so the result never depends on the platform's URL type.
// The normative rules are in Protocol/spec-parts/canonical-values.md.

/// Canonicalises the value of a `url` signal.
///
/// Output has the shape `scheme://host[:port]path[?query]`: scheme and host
/// lowercased, internationalised host labels converted to `xn--` Punycode,
/// userinfo and fragment dropped, default ports removed, dot segments removed
/// and percent-encoding normalised. Only `http` and `https` URLs are accepted.
public enum URLCanonicalizer {
    /// The longest accepted input (after trimming) and canonical output, in UTF-8 bytes.
    static let maxInputBytes = 2048
    /// The longest accepted host label, in bytes, after conversion.
    static let maxLabelBytes = 63
    /// The longest accepted host name, in bytes, after conversion.
    static let maxHostBytes = 253

    /// Returns the canonical form of `input`, or throws a
    /// ``CanonicalizationFailure`` saying why it is not an acceptable URL.
    public static func canonicalize(_ input: String) throws(CanonicalizationFailure) -> String {
        let bytes = trimASCIIWhitespace(Array(input.utf8))
        guard !bytes.isEmpty else { throw fail("the URL is empty") }
        guard bytes.count <= maxInputBytes else {
            throw fail("the URL is longer than \(maxInputBytes) bytes")
        }
        guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw fail("the URL contains a control character")
        }

        let (scheme, afterScheme) = try parseScheme(bytes)
        guard afterScheme.starts(with: [slash, slash]) else {
            throw fail("the scheme must be followed by \"//\"")
        }
        let rest = afterScheme.dropFirst(2)

        // The authority runs to the first "/", "?" or "#".
        let authorityEnd = rest.firstIndex(where: { $0 == slash || $0 == question || $0 == hash }) ?? rest.endIndex
        let authority = rest[rest.startIndex..<authorityEnd]
        var remainder = rest[authorityEnd...]

        // The fragment is dropped; the query runs from the first "?" to it.
        if let hashIndex = remainder.firstIndex(of: hash) { remainder = remainder[..<hashIndex] }
        var path = remainder
        var query: ArraySlice<UInt8>? = nil
        if let questionIndex = remainder.firstIndex(of: question) {
            path = remainder[..<questionIndex]
            query = remainder[(questionIndex + 1)...]
        }

        let hostAndPort = try canonicalAuthority(authority, scheme: scheme)
        var canonicalPath = removeDotSegments(normalizePercentEncoding(path, allowingQuestionMark: false))
        if canonicalPath.isEmpty { canonicalPath = [slash] }

        var output = Array(scheme.utf8) + [colon, slash, slash] + hostAndPort + canonicalPath
        if let query, !query.isEmpty {
            output.append(question)
            output += normalizePercentEncoding(query, allowingQuestionMark: true)
        }
        // Percent-encoding can lengthen the URL; a canonical form must itself be acceptable input.
        guard output.count <= maxInputBytes else {
            throw fail("the canonical URL is longer than \(maxInputBytes) bytes")
        }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: - Scheme

    /// Splits off the scheme; returns it lowercased with the bytes after its ":".
    private static func parseScheme(_ bytes: [UInt8]) throws(CanonicalizationFailure) -> (String, ArraySlice<UInt8>) {
        let noScheme = fail("the URL has no scheme; only http and https are accepted")
        guard let colonIndex = bytes.firstIndex(of: colon), colonIndex > 0 else { throw noScheme }
        let candidate = bytes[..<colonIndex]
        let isSchemeSyntax = isASCIILetter(bytes[0]) && candidate.allSatisfy {
            isASCIILetter($0) || isASCIIDigit($0) || $0 == plus || $0 == hyphen || $0 == dot
        }
        guard isSchemeSyntax else { throw noScheme }
        let scheme = String(decoding: candidate.map(asciiLowercased), as: UTF8.self)
        guard scheme == "http" || scheme == "https" else {
            // "example.com:8080/..." or "localhost:80" is a host and port with no scheme.
            let after = bytes[(colonIndex + 1)...]
            if candidate.contains(dot) || after.first.map(isASCIIDigit) == true { throw noScheme }
            throw fail("the URL scheme \"\(scheme)\" is not supported; only http and https are accepted")
        }
        return (scheme, bytes[(colonIndex + 1)...])
    }

    // MARK: - Authority

    /// Canonical `host[:port]` bytes for an authority (userinfo is discarded).
    private static func canonicalAuthority(_ authority: ArraySlice<UInt8>, scheme: String) throws(CanonicalizationFailure) -> [UInt8] {
        guard !authority.contains(backslash) else {
            // Browsers treat "\" as "/" here, so the URL would not mean what it seems to.
            throw fail("the URL authority contains a backslash")
        }
        var hostPort = authority
        if let atIndex = authority.lastIndex(of: at) { hostPort = authority[(atIndex + 1)...] }

        let host: [UInt8]
        let port: ArraySlice<UInt8>?
        if hostPort.first == openBracket {
            guard let closeIndex = hostPort.firstIndex(of: closeBracket) else {
                throw fail("the IPv6 address in the host has no closing \"]\"")
            }
            host = try canonicalIPv6(hostPort[(hostPort.startIndex + 1)..<closeIndex])
            let after = hostPort[(closeIndex + 1)...]
            if after.isEmpty {
                port = nil
            } else if after.first == colon {
                port = after.dropFirst()
            } else {
                throw fail("unexpected characters after the IPv6 address in the host")
            }
        } else if let colonIndex = hostPort.firstIndex(of: colon) {
            host = try canonicalHostName(hostPort[..<colonIndex])
            port = hostPort[(colonIndex + 1)...]
        } else {
            host = try canonicalHostName(hostPort)
            port = nil
        }

        var output = host
        if let port, let value = try canonicalPort(port) {
            let isDefault = (scheme == "http" && value == 80) || (scheme == "https" && value == 443)
            if !isDefault { output += [colon] + Array(String(value).utf8) }
        }
        return output
    }

    /// The port number, or `nil` for an empty port; throws if it is not 0–65535.
    private static func canonicalPort(_ port: ArraySlice<UInt8>) throws(CanonicalizationFailure) -> Int? {
        if port.isEmpty { return nil }
        guard port.allSatisfy(isASCIIDigit) else { throw fail("the port is not a number") }
        let significant = port.drop(while: { $0 == UInt8(ascii: "0") })
        guard significant.count <= 5 else { throw fail("the port is greater than 65535") }
        let value = significant.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard value <= 65535 else { throw fail("the port is greater than 65535") }
        return value
    }

    /// `[address]` with hex digits lowercased; only hex digits, ":" and "." are allowed inside.
    private static func canonicalIPv6(_ address: ArraySlice<UInt8>) throws(CanonicalizationFailure) -> [UInt8] {
        let lowered = address.map(asciiLowercased)
        guard lowered.contains(colon), lowered.allSatisfy({ isHexDigit($0) || $0 == colon || $0 == dot }) else {
            throw fail("the IPv6 address in the host is not valid")
        }
        return [openBracket] + lowered + [closeBracket]
    }

    /// A registered name (or IPv4 address): percent-decoded, one trailing dot
    /// removed, lowercased, non-ASCII labels converted to `xn--` Punycode.
    private static func canonicalHostName(_ raw: ArraySlice<UInt8>) throws(CanonicalizationFailure) -> [UInt8] {
        var decoded = try percentDecodeHost(raw)
        if decoded.last == dot { decoded.removeLast() }
        guard !decoded.isEmpty else { throw fail("the URL has no host") }

        let host: [UInt8]
        if decoded.allSatisfy({ $0 < 0x80 }) {
            // ASCII (almost every host): lowercased in place, labels checked as slices.
            for i in decoded.indices { decoded[i] = asciiLowercased(decoded[i]) }
            for label in decoded.split(separator: dot, omittingEmptySubsequences: false) { try checkLabel(label) }
            host = decoded
        } else {
            let labels = try internationalLabels(decoded)
            for label in labels { try checkLabel(label[...]) }
            host = Array(labels.joined(separator: [dot]))
        }
        guard host.count <= maxHostBytes else { throw fail("the host is longer than \(maxHostBytes) bytes") }
        return host
    }

    private static func checkLabel(_ label: ArraySlice<UInt8>) throws(CanonicalizationFailure) {
        guard !label.isEmpty else { throw fail("the host has an empty label") }
        guard label.count <= maxLabelBytes else {
            throw fail("a host label is longer than \(maxLabelBytes) bytes")
        }
        guard label.allSatisfy(isHostByte) else {
            throw fail("the host contains a character that is not allowed (only letters, digits, \"-\", \".\" and \"_\")")
        }
    }

    /// Decodes every `%XX` in the host; the result must be valid UTF-8.
    private static func percentDecodeHost(_ raw: ArraySlice<UInt8>) throws(CanonicalizationFailure) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.count)
        var index = raw.startIndex
        var escaped = false
        while index < raw.endIndex {
            if raw[index] == percent {
                guard let value = escapedByte(raw, at: index) else {
                    throw fail("the host contains a \"%\" that is not followed by two hex digits")
                }
                bytes.append(value)
                escaped = true
                index += 3
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        // Unescaped bytes are a slice of a Swift string's UTF-8 cut at ASCII delimiters: valid already.
        guard !escaped || String(validating: bytes, as: UTF8.self) != nil else {
            throw fail("the percent-escapes in the host do not decode to valid UTF-8")
        }
        return bytes
    }

    /// Simplified IDNA: NFC, per-scalar lowercase, NFC again, then each label
    /// that is not pure ASCII becomes "xn--" + Punycode. Not full UTS #46.
    private static func internationalLabels(_ host: [UInt8]) throws(CanonicalizationFailure) -> [[UInt8]] {
        let text = String(decoding: host, as: UTF8.self)
        for scalar in text.unicodeScalars where scalar.value >= 0x80 {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control {
                throw fail("the host contains a space or control character")
            }
        }
        try CanonicalText.checkRepertoire(text, "the host")
        let mapped = CanonicalText.nfc(CanonicalText.lowercasePerScalar(CanonicalText.nfc(text)))
        var labels: [[UInt8]] = []
        // Split on the scalar U+002E: splitting the String would compare
        // grapheme clusters, and "." followed by a combining mark is not ".".
        for scalars in mapped.unicodeScalars.split(separator: ".", omittingEmptySubsequences: false) {
            let label = String(String.UnicodeScalarView(scalars))
            if label.utf8.allSatisfy({ $0 < 0x80 }) {
                labels.append(Array(label.utf8))
                continue
            }
            // A Punycode label is at least 4 + (number of scalars) bytes long;
            // refuse early rather than encode something that cannot fit.
            guard scalars.count <= maxLabelBytes - 4,
                  let encoded = Punycode.encode(label) else {
                throw fail("a host label is longer than \(maxLabelBytes) bytes")
            }
            labels.append(Array("xn--\(encoded)".utf8))
        }
        return labels
    }

    // MARK: - Path and query

    /// Normalises percent-encoding: decodes escapes of unreserved bytes,
    /// uppercases the hex of the others, turns a stray "%" into "%25" and
    /// percent-encodes every byte outside the allowed set.
    static func normalizePercentEncoding(_ bytes: ArraySlice<UInt8>, allowingQuestionMark: Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == percent {
                if let value = escapedByte(bytes, at: index) {
                    if isUnreserved(value) {
                        output.append(value)
                    } else {
                        output += [percent, asciiUppercased(bytes[index + 1]), asciiUppercased(bytes[index + 2])]
                    }
                    index += 3
                } else {
                    output += [percent, UInt8(ascii: "2"), UInt8(ascii: "5")]
                    index += 1
                }
                continue
            }
            if isUnreserved(byte) || isSubDelim(byte) || byte == colon || byte == at || byte == slash
                || (allowingQuestionMark && byte == question) {
                output.append(byte)
            } else {
                output += [percent, hexDigit(byte >> 4), hexDigit(byte & 0x0F)]
            }
            index += 1
        }
        return output
    }

    /// RFC 3986 §5.2.4 remove_dot_segments, for a path that is empty or starts with "/".
    static func removeDotSegments(_ path: [UInt8]) -> [UInt8] {
        var input = path[...]
        var output: [UInt8] = []
        func removeLastSegment() {
            if let lastSlash = output.lastIndex(of: slash) {
                output.removeSubrange(lastSlash...)
            } else {
                output.removeAll()
            }
        }
        while !input.isEmpty {
            if input.starts(with: [dot, dot, slash]) {                    // A
                input = input.dropFirst(3)
            } else if input.starts(with: [dot, slash]) {                  // A
                input = input.dropFirst(2)
            } else if input.starts(with: [slash, dot, slash]) {           // B
                input = input.dropFirst(2)
            } else if input.elementsEqual([slash, dot]) {                 // B
                input = [slash][...]
            } else if input.starts(with: [slash, dot, dot, slash]) {      // C
                input = input.dropFirst(3)
                removeLastSegment()
            } else if input.elementsEqual([slash, dot, dot]) {            // C
                input = [slash][...]
                removeLastSegment()
            } else if input.elementsEqual([dot]) || input.elementsEqual([dot, dot]) { // D
                input = []
            } else {                                                      // E
                let searchStart = input.first == slash ? input.startIndex + 1 : input.startIndex
                let segmentEnd = input[searchStart...].firstIndex(of: slash) ?? input.endIndex
                output += input[..<segmentEnd]
                input = input[segmentEnd...]
            }
        }
        return output
    }

    // MARK: - Bytes

    private static let slash = UInt8(ascii: "/")
    private static let backslash = UInt8(ascii: "\\")
    private static let question = UInt8(ascii: "?")
    private static let hash = UInt8(ascii: "#")
    private static let colon = UInt8(ascii: ":")
    private static let at = UInt8(ascii: "@")
    private static let dot = UInt8(ascii: ".")
    private static let plus = UInt8(ascii: "+")
    private static let hyphen = UInt8(ascii: "-")
    private static let percent = UInt8(ascii: "%")
    private static let openBracket = UInt8(ascii: "[")
    private static let closeBracket = UInt8(ascii: "]")

    private static func fail(_ reason: String) -> CanonicalizationFailure {
        CanonicalizationFailure(reason: reason)
    }

    /// Drops leading and trailing TAB, LF, VT, FF, CR and SPACE.
    private static func trimASCIIWhitespace(_ bytes: [UInt8]) -> [UInt8] {
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || (0x09...0x0D).contains($0) }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }) else { return [] }
        return Array(bytes[first...last])
    }

    /// The byte encoded by `%XX` at `index`, or `nil` if two hex digits do not follow.
    private static func escapedByte(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt8? {
        guard bytes.endIndex - index >= 3,
              let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else { return nil }
        return high << 4 | low
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "A") + value - 10
    }

    private static func isASCIILetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    private static func isASCIIDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool { hexValue(byte) != nil }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 0x20 : byte
    }

    private static func asciiUppercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 0x20 : byte
    }

    /// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        isASCIILetter(byte) || isASCIIDigit(byte) || byte == hyphen || byte == dot
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }

    /// RFC 3986 sub-delims: "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "=".
    private static func isSubDelim(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
             UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: "="):
            true
        default:
            false
        }
    }

    /// Allowed in a canonical host label: a–z, 0–9, "-" and "_" (uppercase is already folded).
    private static func isHostByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || isASCIIDigit(byte)
            || byte == hyphen || byte == UInt8(ascii: "_")
    }
}

import CoalitionQuery
/// A parser for the common shape of a `POST /v1/lookup` body, in one pass over the bytes.
///
/// Foundation's `JSONDecoder` first builds a map of the whole document and then decodes it
/// through `Codable` containers: about a twelfth of the server's time under batch lookups. This
/// parser reads the plain form that clients send — the four known members, each at most once;
/// items with exactly `kind` and `value`; strings without escapes; integers without fraction or
/// exponent — and returns nil for anything else (escapes, `null`, unknown or repeated members,
/// malformed JSON, invalid UTF-8). The caller then decodes the body with `JSONDecoder`, which
/// defines the semantics and writes the error messages, so this parser changes nothing but speed.
/// A test checks that whenever it answers, it answers as `JSONDecoder` does.
package struct LookupRequestParser {
    private let bytes: UnsafeRawBufferPointer
    private var i = 0

    /// The request, or nil when the body is not in the plain form.
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> LookupRequest? {
        var parser = LookupRequestParser(bytes: bytes)
        return parser.request()
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func request() -> LookupRequest? {
        var items: [LookupItem]?
        var distance: Int?, minQuality: Int?, includeInactive: Bool?
        var seen = 0
        let complete = object { key, parser in
            switch key {
            case "items" where seen & 1 == 0:
                seen |= 1
                items = parser.items()
                return items != nil
            case "distance" where seen & 2 == 0:
                seen |= 2
                distance = parser.integer()
                return distance != nil
            case "minQuality" where seen & 4 == 0:
                seen |= 4
                minQuality = parser.integer()
                return minQuality != nil
            case "includeInactive" where seen & 8 == 0:
                seen |= 8
                includeInactive = parser.boolean()
                return includeInactive != nil
            default:
                return false
            }
        }
        skipWhitespace()
        guard complete, i == bytes.count, let items else { return nil }
        return LookupRequest(items: items, distance: distance, minQuality: minQuality, includeInactive: includeInactive)
    }

    private mutating func items() -> [LookupItem]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var items: [LookupItem] = []
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return items }
        repeat {
            var kind: String?, value: String?
            let complete = object { key, parser in
                switch key {
                case "kind" where kind == nil:
                    kind = parser.string()
                    return kind != nil
                case "value" where value == nil:
                    value = parser.string()
                    return value != nil
                default:
                    return false
                }
            }
            guard complete, let kind, let value else { return nil }
            items.append(LookupItem(kind: kind, value: value))
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? items : nil
    }

    /// An object; `member` reads the value of each key and says whether it was acceptable.
    private mutating func object(_ member: (String, inout LookupRequestParser) -> Bool) -> Bool {
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipWhitespace()
            guard let key = string() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard member(key, &self) else { return false }
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// A string without escapes or control characters, in valid UTF-8.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = i
        var ascii = true
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let utf8 = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
                i += 1
                // ASCII needs no validation (hashes, most URLs and kinds are ASCII).
                return ascii ? String(decoding: utf8, as: UTF8.self) : String(validating: utf8, as: UTF8.self)
            }
            if c == UInt8(ascii: "\\") || c < 0x20 { return nil }
            ascii = ascii && c < 0x80
            i += 1
        }
        return nil
    }

    /// An integer: an optional minus, then 0 or digits not starting with 0; at most 15 digits.
    private mutating func integer() -> Int? {
        let negative = take(UInt8(ascii: "-"))
        let start = i
        var value = 0
        while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) {
            // Past 15 digits the number is refused below; accumulating further would overflow.
            if i - start < 15 { value = value * 10 + Int(bytes[i] - UInt8(ascii: "0")) }
            i += 1
        }
        let digits = i - start
        guard digits > 0, digits <= 15, digits == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        // A fraction or an exponent: left to JSONDecoder.
        if i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        return negative ? -value : value
    }

    private mutating func boolean() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
        i += n
        return true
    }

    private mutating func take(_ c: UInt8) -> Bool {
        guard i < bytes.count, bytes[i] == c else { return false }
        i += 1
        return true
    }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }
}

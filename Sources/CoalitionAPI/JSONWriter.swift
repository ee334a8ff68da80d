/// Writes JSON straight into a byte array, for the answers on the lookup hot path.
///
/// Foundation's `JSONEncoder` builds a tree of boxed values before it writes a byte, which cost
/// about a tenth of the server's time per lookup. Types that use this writer write their keys in
/// sorted order and leave `/` unescaped, so their output matches the API's `JSONEncoder`
/// (`.sortedKeys`, `.withoutEscapingSlashes`); `JSONWriterTests` checks that byte for byte.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the next member or element of the innermost object or array is its first.
    private var first = true

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    // MARK: structure

    mutating func object(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        first = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    mutating func array<S: Sequence>(_ elements: S, _ element: (inout JSONWriter, S.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        first = true
        for e in elements {
            if !first { bytes.append(UInt8(ascii: ",")) }
            element(&self, e)
            first = false
        }
        bytes.append(UInt8(ascii: "]"))
        first = false
    }

    /// Starts a member of the current object; the value must follow.
    mutating func key(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        first = true  // the value that follows is not preceded by a comma
    }

    // MARK: members

    mutating func member(_ name: StaticString, _ value: String) { key(name); string(value); first = false }
    mutating func member(_ name: StaticString, _ value: Bool) { key(name); bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes); first = false }
    mutating func member(_ name: StaticString, _ value: Int) { key(name); int(value); first = false }

    /// Omitted when nil, as synthesised `Encodable` conformances do.
    mutating func member(_ name: StaticString, _ value: String?) { if let value { member(name, value) } }
    mutating func member(_ name: StaticString, _ value: Int?) { if let value { member(name, value) } }

    mutating func member(_ name: StaticString, _ strings: [String]) {
        key(name)
        array(strings) { w, s in w.string(s) }
        first = false
    }

    // MARK: values

    mutating func int(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            } while magnitude > 0
            for i in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[i]) }
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\b \f \n \r \t` or `\u00XX`,
    /// everything else (`/` and non-ASCII included) as its UTF-8 bytes.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for i in 0..<utf8.count {
                let c = utf8[i]
                guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                start = i + 1
                bytes.append(UInt8(ascii: "\\"))
                switch c {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(c)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(c >> 4)], hex[Int(c & 15)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
}

/// A value that writes itself with ``JSONWriter``, matching its `Encodable` output.
protocol JSONWritable {
    func write(to json: inout JSONWriter)
}

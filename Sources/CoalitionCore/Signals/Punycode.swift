// RFC 3492 Punycode, encoder only: what the URL canonicaliser needs to turn a
// non-ASCII host label into its ASCII (`xn--`) form.

/// The Punycode encoder of RFC 3492 (Bootstring with the Punycode parameters).
enum Punycode {
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700
    private static let initialBias = 72
    private static let initialN = 0x80
    /// RFC 3492 §6.4 overflow limit; any 32-bit unsigned integer is allowed.
    private static let maxInt = Int(UInt32.max)

    /// Encodes `label` (any Unicode scalars) as Punycode, without the `xn--`
    /// prefix. Basic (ASCII) code points are copied in order, their case
    /// preserved, followed by `-` when there are any, then the encoded
    /// deltas, whose digits are lowercase `a`–`z`, `0`–`9`.
    ///
    /// Returns `nil` only when an intermediate value would exceed 2^32 − 1
    /// (RFC 3492 §6.4), which needs a label far longer than any valid host
    /// label.
    static func encode(_ label: String) -> String? {
        let input = label.unicodeScalars.map { Int($0.value) }
        var output: [UInt8] = input.compactMap { $0 < 0x80 ? UInt8($0) : nil }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append(UInt8(ascii: "-")) }

        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < input.count {
            // The smallest code point not yet handled (there is one: handled < count).
            var next = Int.max
            for codePoint in input where codePoint >= n && codePoint < next { next = codePoint }
            guard (next - n) <= (maxInt - delta) / (handled + 1) else { return nil }
            delta += (next - n) * (handled + 1)
            n = next
            for codePoint in input {
                if codePoint < n {
                    delta += 1
                    guard delta <= maxInt else { return nil }
                }
                if codePoint == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta: delta, pointCount: handled + 1, isFirst: handled == basicCount)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// RFC 3492 §6.1 bias adaptation.
    private static func adapt(delta: Int, pointCount: Int, isFirst: Bool) -> Int {
        var delta = isFirst ? delta / damp : delta / 2
        delta += delta / pointCount
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (((base - tMin + 1) * delta) / (delta + skew))
    }

    /// The basic code point for digit value `value` (0–35): `a`–`z` then `0`–`9`.
    private static func digit(_ value: Int) -> UInt8 {
        value < 26 ? UInt8(ascii: "a") + UInt8(value) : UInt8(ascii: "0") + UInt8(value - 26)
    }
}

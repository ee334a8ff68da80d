import CoalitionCrypto

/// The human-friendly, typo-resistant spelling of a member's Ed25519 public key.
///
/// Modelled on Syncthing's device IDs: the 32 key bytes are written in RFC 4648 base32
/// (52 characters, no padding), cut into four groups of 13 characters, and each group gets
/// a Luhn mod 32 check character. The 56 characters are shown as eight dash-separated groups
/// of seven, for example `MFRGGZD-FMZTGQ3-...`. Parsing ignores case, dashes and spaces, and
/// maps the look-alikes `0`→`O`, `1`→`I` and `8`→`B`, so a pasted ID with a typo fails its
/// check characters instead of naming the wrong member.
public struct MemberID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The key this ID spells.
    public let publicKey: PublicKey

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Wraps a public key.
    public init(publicKey: PublicKey) {
        self.publicKey = publicKey
    }

    /// Parses the text form.
    /// - Throws: ``CoalitionError`` with code `invalidMemberID` naming what is wrong.
    public init(parsing text: String) throws(CoalitionError) {
        var chars: [UInt8] = []
        for c in text.utf8 {
            switch c {
            case UInt8(ascii: "-"), UInt8(ascii: " "): continue
            case UInt8(ascii: "a")...UInt8(ascii: "z"): chars.append(c - 32)
            case UInt8(ascii: "0"): chars.append(UInt8(ascii: "O"))
            case UInt8(ascii: "1"): chars.append(UInt8(ascii: "I"))
            case UInt8(ascii: "8"): chars.append(UInt8(ascii: "B"))
            default: chars.append(c)
            }
        }
        guard chars.count == 56 else {
            throw CoalitionError(.invalidMemberID, "a member ID has 56 characters (without dashes), got \(chars.count)")
        }
        var data: [UInt8] = []
        for group in 0..<4 {
            let start = group * 14
            let body = Array(chars[start..<start + 13])
            for c in body where !Self.alphabet.contains(c) {
                throw CoalitionError(.invalidMemberID, "'\(Character(Unicode.Scalar(c)))' is not a base32 character")
            }
            guard let check = Self.luhnCheck(body), check == chars[start + 13] else {
                throw CoalitionError(.invalidMemberID, "check character \(group + 1) does not match: the ID has a typo")
            }
            data += body
        }
        guard let bytes = Self.base32Decode(data), bytes.count == 32, let key = try? PublicKey(bytes: bytes) else {
            throw CoalitionError(.invalidMemberID, "the ID does not encode a 32-byte key")
        }
        self.publicKey = key
    }

    /// The canonical text form: eight groups of seven characters.
    public var description: String {
        let b32 = Self.base32Encode(publicKey.bytes)  // 52 chars
        var withChecks: [UInt8] = []
        for group in 0..<4 {
            let body = Array(b32[group * 13..<group * 13 + 13])
            withChecks += body
            withChecks.append(Self.luhnCheck(body)!)
        }
        var out = ""
        for i in 0..<8 {
            if i > 0 { out += "-" }
            out += String(decoding: withChecks[i * 7..<i * 7 + 7], as: UTF8.self)
        }
        return out
    }

    /// The first group, for compact display in logs and tables.
    public var short: String { String(description.prefix(7)) }

    public static func < (lhs: MemberID, rhs: MemberID) -> Bool { lhs.publicKey < rhs.publicKey }

    /// Luhn mod N over the base32 alphabet (N = 32), the standard algorithm: walking from the
    /// rightmost character, every other code point (starting with the rightmost) is doubled and
    /// folded as `x / 32 + x % 32`; the check is `(32 - sum % 32) % 32`.
    static func luhnCheck(_ body: [UInt8]) -> UInt8? {
        var factor = 2
        var sum = 0
        for c in body.reversed() {
            guard let cp = alphabet.firstIndex(of: c) else { return nil }
            var addend = factor * cp
            factor = factor == 2 ? 1 : 2
            addend = addend / 32 + addend % 32
            sum += addend
        }
        return alphabet[(32 - sum % 32) % 32]
    }

    static func base32Encode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for b in bytes {
            buffer = (buffer << 8) | Int(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }

    static func base32Decode(_ chars: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for c in chars {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            buffer = ((buffer << 5) | v) & 0xFFFF
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        // The 4 leftover bits of a 32-byte key must be zero, or two spellings would name one key.
        if bits > 0 && (buffer & ((1 << bits) - 1)) != 0 { return nil }
        return out
    }
}

/// What a signal's value is. Unknown kinds (from newer nodes) are kept as `other`.
public enum SignalKind: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// A 256-bit PDQ perceptual hash: 64 lowercase hex characters.
    case pdq
    /// An MD5 file hash: 32 lowercase hex characters.
    case md5
    /// A SHA-256 file hash: 64 lowercase hex characters.
    case sha256
    /// A canonical http(s) URL.
    case url
    /// A hashtag, keyword or phrase naming a dangerous trend.
    case trend
    /// A kind this version does not know; stored, relayed and exported untouched.
    case other(String)

    /// The kinds this version understands.
    public static let known: [SignalKind] = [.pdq, .md5, .sha256, .url, .trend]

    /// Parses a kind name. Names follow `[a-z][a-z0-9_-]{0,31}`.
    public init(name: String) throws(CoalitionError) {
        switch name {
        case "pdq": self = .pdq
        case "md5": self = .md5
        case "sha256": self = .sha256
        case "url": self = .url
        case "trend": self = .trend
        default:
            guard Self.isValidName(name) else {
                throw CoalitionError(.invalidField, "'\(name)' is not a kind name (lowercase letters, digits, '_' or '-', starting with a letter, at most 32)", field: "kind")
            }
            self = .other(name)
        }
    }

    /// The wire name.
    public var name: String {
        switch self {
        case .pdq: "pdq"
        case .md5: "md5"
        case .sha256: "sha256"
        case .url: "url"
        case .trend: "trend"
        case .other(let n): n
        }
    }

    /// True for kinds this version does not understand.
    public var isKnown: Bool { if case .other = self { false } else { true } }

    public var description: String { name }

    public static func < (a: SignalKind, b: SignalKind) -> Bool { a.name < b.name }

    static func isValidName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        guard (1...Limits.maxKindBytes).contains(u.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(u[0]) else { return false }
        return u.allSatisfy { c in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }
}

/// An error from Coalition's core: a value, entry or file that breaks a rule.
///
/// Compare by ``code``. ``field`` names the offending field when there is one (for example
/// `value`, `note` or `signature`), so that the CLI and the HTTP API can say exactly what to fix.
public struct CoalitionError: Error, Sendable, CustomStringConvertible {
    /// A stable identifier of the failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        init(_ raw: String) { rawValue = raw }

        /// A signal field is missing or invalid.
        public static let invalidField = Code("invalid-field")
        /// A member ID failed to parse or its check characters do not match.
        public static let invalidMemberID = Code("invalid-member-id")
        /// Entry bytes are truncated, too long or otherwise not a well-formed entry.
        public static let malformedEntry = Code("malformed-entry")
        /// The Ed25519 signature does not verify.
        public static let badSignature = Code("bad-signature")
        /// The entry does not link to its predecessor (wrong sequence, previous hash or author).
        public static let brokenChain = Code("broken-chain")
        /// The entry exceeds a limit in the specification.
        public static let tooLarge = Code("too-large")
        /// A key file is missing, malformed or readable by others.
        public static let keyFile = Code("key-file")
        /// A configuration file is missing or invalid.
        public static let configuration = Code("configuration")
        /// A referenced object does not exist.
        public static let notFound = Code("not-found")
        /// The operation is not allowed (for example retracting another member's signal).
        public static let forbidden = Code("forbidden")
        /// Not possible yet (for example a lookup while the match indexes load); retry shortly.
        public static let unavailable = Code("unavailable")

        public var description: String { rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The field at fault, if any.
    public let field: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return message
    }
}

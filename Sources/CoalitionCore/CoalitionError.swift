import CoalitionCrypto

/// An error from Coalition's core: a value, entry or file that breaks a rule. A ``Failure`` with
/// the codes below.
///
/// Compare by `code`. `field` names the offending field when there is one (for example
/// `value`, `note` or `signature`), so that the CLI and the HTTP API can say exactly what to fix.
public typealias CoalitionError = Failure<CoalitionErrorCode>

/// A stable identifier of a core failure; its raw value is the spec's error code.
public struct CoalitionErrorCode: FailureCode {
    public let rawValue: String
    init(_ raw: String) { rawValue = raw }

    /// A signal field is missing or invalid.
    public static let invalidField = Self("invalid-field")
    /// A member ID failed to parse or its check characters do not match.
    public static let invalidMemberID = Self("invalid-member-id")
    /// Entry bytes are truncated, too long or otherwise not a well-formed entry.
    public static let malformedEntry = Self("malformed-entry")
    /// The Ed25519 signature does not verify.
    public static let badSignature = Self("bad-signature")
    /// The entry does not link to its predecessor (wrong sequence, previous hash or author).
    public static let brokenChain = Self("broken-chain")
    /// The entry exceeds a limit in the specification.
    public static let tooLarge = Self("too-large")
    /// A key file is missing, malformed or readable by others.
    public static let keyFile = Self("key-file")
    /// A configuration file is missing or invalid.
    public static let configuration = Self("configuration")
    /// A referenced object does not exist.
    public static let notFound = Self("not-found")
    /// The operation is not allowed (for example retracting another member's signal).
    public static let forbidden = Self("forbidden")
    /// Not possible yet (for example a lookup while the match indexes load); retry shortly.
    public static let unavailable = Self("unavailable")
    /// A media file is in a format that is not decoded (or not a media file at all).
    public static let unsupportedMedia = Self("unsupported-media")
    /// A media file is truncated or corrupt: its decoder gave up.
    public static let corruptMedia = Self("corrupt-media")
    /// The work took longer than its time limit and was abandoned.
    public static let timeout = Self("timeout")

    public var description: String { rawValue }
    public static var descriptionLeadsWithCode: Bool { false }
}

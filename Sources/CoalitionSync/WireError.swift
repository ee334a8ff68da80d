import CoalitionCrypto

/// Why a peer's bytes or behaviour broke the gossip protocol: a ``Failure`` with wire codes. The
/// session answers with a `goodbye` carrying the code and closes the connection; nothing the
/// frame carried is stored.
public typealias WireError = Failure<WireErrorCode>

/// A stable, machine-readable reason, also sent to the peer in `goodbye`.
public struct WireErrorCode: FailureCode {
    public let rawValue: UInt16
    public let name: String
    private init(_ rawValue: UInt16, _ name: String) { self.rawValue = rawValue; self.name = name }

    /// A message ended early.
    public static let truncated = Self(1, "truncated")
    /// A field is out of range or badly encoded.
    public static let malformed = Self(2, "malformed")
    /// A frame is larger than the receiver's limit.
    public static let frameTooLarge = Self(3, "frame-too-large")
    /// The peer spoke before saying hello, or said hello twice.
    public static let unexpectedMessage = Self(4, "unexpected-message")
    /// The peer speaks a protocol version this node does not.
    public static let unsupportedVersion = Self(5, "unsupported-version")
    /// The member key in hello differs from the key the TLS handshake proved.
    public static let identityMismatch = Self(6, "identity-mismatch")
    /// The peer sent an entry that fails validation (bad signature, broken chain, forged author…).
    public static let invalidEntry = Self(7, "invalid-entry")
    /// The peer is not (or no longer) an accepted member.
    public static let notAMember = Self(8, "not-a-member")
    /// The node is shutting down.
    public static let shuttingDown = Self(9, "shutting-down")
    /// The peer stopped answering keep-alives.
    public static let timeout = Self(10, "timeout")
    /// A second connection with the same peer replaced this one.
    public static let duplicateConnection = Self(11, "duplicate-connection")

    static let all: [WireErrorCode] = [.truncated, .malformed, .frameTooLarge, .unexpectedMessage, .unsupportedVersion,
                                        .identityMismatch, .invalidEntry, .notAMember, .shuttingDown, .timeout, .duplicateConnection]

    /// The code with this number, or a generic one named after the number.
    public init(rawValue: UInt16) {
        self = Self.all.first { $0.rawValue == rawValue } ?? Self(rawValue, "code-\(rawValue)")
    }

    public static func == (a: Self, b: Self) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    public var description: String { name }
    public static var descriptionLeadsWithCode: Bool { true }
}

/// An error raised by a cryptographic operation: a ``Failure`` with crypto codes.
///
/// Compare errors by ``Failure/code``; the message is for people.
public typealias CryptoError = Failure<CryptoErrorCode>

/// The kinds of cryptographic failure, stable across releases.
public struct CryptoErrorCode: FailureCode {
    enum Backing: Hashable, Sendable {
        case invalidKeyLength
        case invalidKey
        case decryptionFailed
        case invalidInput
    }
    let backing: Backing

    /// A key had the wrong number of bytes.
    public static let invalidKeyLength = Self(backing: .invalidKeyLength)
    /// A key was rejected by libsodium (for example an Ed25519 key with no Curve25519 form).
    public static let invalidKey = Self(backing: .invalidKey)
    /// A ciphertext did not authenticate, or was not addressed to this key.
    public static let decryptionFailed = Self(backing: .decryptionFailed)
    /// An input had the wrong shape (for example a nonce of the wrong size).
    public static let invalidInput = Self(backing: .invalidInput)

    public var description: String { String(describing: backing) }
    public static var descriptionLeadsWithCode: Bool { true }
}

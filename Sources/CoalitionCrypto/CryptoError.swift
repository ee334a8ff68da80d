/// An error raised by a cryptographic operation.
///
/// Compare errors by ``code``; the ``message`` is for people.
public struct CryptoError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, stable across releases.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Backing: Hashable, Sendable {
            case invalidKeyLength
            case invalidKey
            case decryptionFailed
            case invalidInput
        }
        let backing: Backing

        /// A key had the wrong number of bytes.
        public static let invalidKeyLength = Code(backing: .invalidKeyLength)
        /// A key was rejected by libsodium (for example an Ed25519 key with no Curve25519 form).
        public static let invalidKey = Code(backing: .invalidKey)
        /// A ciphertext did not authenticate, or was not addressed to this key.
        public static let decryptionFailed = Code(backing: .decryptionFailed)
        /// An input had the wrong shape (for example a nonce of the wrong size).
        public static let invalidInput = Code(backing: .invalidInput)

        public var description: String { String(describing: backing) }
    }

    /// What went wrong.
    public let code: Code
    /// A human-readable explanation.
    public let message: String

    @usableFromInline
    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

import CoalitionCrypto

/// The operation an entry carries.
public enum Body: Hashable, Sendable {
    /// Publishes a signal. The signal's ID is the entry's ID.
    case publish(Signal)
    /// Retracts one of the author's own signals.
    case retract(Retraction)
    /// An opinion on any signal.
    case opinion(Opinion)
    /// Hands the author's identity to a successor key and closes this chain.
    case keyRotation(KeyRotation)
    /// A body encrypted to named recipients (restricted signals).
    case sealed(SealedEnvelope)
    /// A body type this version does not know: stored and relayed untouched.
    case unknown(type: UInt16)

    /// The body type number on the wire.
    public var typeCode: UInt16 {
        switch self {
        case .publish: BodyType.publish
        case .retract: BodyType.retract
        case .opinion: BodyType.opinion
        case .keyRotation: BodyType.keyRotation
        case .sealed: BodyType.sealed
        case .unknown(let t): t
        }
    }
}

/// Body type numbers of protocol version 1.
public enum BodyType {
    public static let publish: UInt16 = 1
    public static let retract: UInt16 = 2
    public static let opinion: UInt16 = 3
    public static let keyRotation: UInt16 = 4
    public static let sealed: UInt16 = 5
}

/// Retracts a signal (a publish entry) of the same author.
public struct Retraction: Hashable, Sendable {
    /// The signal being retracted.
    public var target: EntryID
    /// Why, for other platforms' moderators.
    public var reason: String

    /// - Throws: `invalidField` when the reason is empty or too long.
    public init(target: EntryID, reason: String) throws(CoalitionError) {
        let r = reason.trimmingWhitespace()
        guard !r.isEmpty else { throw CoalitionError(.invalidField, "a retraction needs a reason", field: "reason") }
        try SignalRules.checkNote(r, field: "reason")
        self.target = target
        self.reason = r
    }

    init(unchecked target: EntryID, reason: String) { self.target = target; self.reason = reason }
}

/// A member's view of a signal. Last-writer-wins per (author, target) by sequence number.
public struct Opinion: Hashable, Sendable {
    /// The opinion itself.
    public enum Stance: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// The signal is right: the content is harmful.
        case confirm = 1
        /// The signal is a false positive.
        case dispute = 2
        /// Seen, without a judgement.
        case seen = 3

        /// Parses `confirm`, `dispute` or `seen`.
        public init(name: String) throws(CoalitionError) {
            switch name.lowercased() {
            case "confirm", "confirmed", "positive": self = .confirm
            case "dispute", "disputed", "negative", "false-positive": self = .dispute
            case "seen": self = .seen
            default: throw CoalitionError(.invalidField, "'\(name)' is not an opinion (confirm, dispute, seen)", field: "stance")
            }
        }

        public var description: String {
            switch self { case .confirm: "confirm"; case .dispute: "dispute"; case .seen: "seen" }
        }
    }

    /// The signal the opinion is about.
    public var target: EntryID
    /// The stance.
    public var stance: Stance
    /// An optional note.
    public var note: String?

    /// - Throws: `invalidField` when the note is too long.
    public init(target: EntryID, stance: Stance, note: String? = nil) throws(CoalitionError) {
        let n = note?.trimmingWhitespace()
        if let n, !n.isEmpty { try SignalRules.checkNote(n, field: "note") }
        self.target = target
        self.stance = stance
        self.note = (n?.isEmpty ?? true) ? nil : n
    }

    init(unchecked target: EntryID, stance: Stance, note: String?) { self.target = target; self.stance = stance; self.note = note }
}

/// Names the key that continues the author's identity. It is signed by the current key (the
/// entry's signature) and by the successor (``successorSignature``), proving the successor
/// agreed. No entry may follow it in the author's chain.
public struct KeyRotation: Hashable, Sendable {
    /// The successor key.
    public var successor: PublicKey
    /// The successor's signature over `"coalition:rotate:v1" ‖ 0x00 ‖ current key ‖ successor key`.
    public var successorSignature: [UInt8]

    /// The message the successor signs.
    public static func statement(current: PublicKey, successor: PublicKey) -> [UInt8] {
        Array("coalition:rotate:v1".utf8) + [0] + current.bytes + successor.bytes
    }

    /// Builds a rotation signed by the successor.
    public init(from current: PublicKey, to successor: Signer) {
        self.successor = successor.publicKey
        self.successorSignature = successor.sign(Self.statement(current: current, successor: successor.publicKey))
    }

    init(successor: PublicKey, successorSignature: [UInt8]) {
        self.successor = successor
        self.successorSignature = successorSignature
    }
}

/// A restricted body: the inner body encrypted with a random content key, and that key sealed
/// to each recipient. Anyone can verify and relay the entry; only recipients can read it.
public struct SealedEnvelope: Hashable, Sendable {
    /// One recipient and the content key sealed to it.
    public struct Recipient: Hashable, Sendable {
        public var key: PublicKey
        public var sealedKey: [UInt8]
    }
    /// Recipients, sorted by key, unique.
    public var recipients: [Recipient]
    /// The 24-byte XChaCha20-Poly1305 nonce.
    public var nonce: [UInt8]
    /// The ciphertext of `inner type (u16) ‖ inner body`.
    public var ciphertext: [UInt8]

    /// Whether `key` can read it.
    public func isAddressed(to key: PublicKey) -> Bool { recipients.contains { $0.key == key } }
}

import CoalitionCrypto

/// An entry's ID: the SHA-256 of the complete signed entry (signature included).
/// A publish entry's ID is also the ID of the signal it publishes.
public struct EntryID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 digest bytes, held inline (no heap allocation per ID).
    public let raw: Bytes32

    /// The 32 digest bytes, as a new array.
    public var bytes: [UInt8] { raw.array }

    /// The all-zero ID, used as the previous hash of a chain's first entry.
    public static let zero = EntryID(raw: .zero)

    /// Wraps 32 bytes already held inline.
    public init(raw: Bytes32) { self.raw = raw }

    /// Wraps bytes the caller knows to be 32 (a digest, a field whose length was checked).
    init(unchecked bytes: some Collection<UInt8>) { raw = Bytes32(bytes)! }

    /// Wraps 32 bytes.
    @inlinable
    public init(bytes: some Collection<UInt8>) throws(CoalitionError) {
        guard let raw = Bytes32(bytes) else { throw CoalitionError(.invalidField, "an entry ID has 32 bytes", field: "id") }
        self.raw = raw
    }

    /// Parses 64 hex characters.
    public init(hex: String) throws(CoalitionError) {
        guard hex.utf8.count == 64, let b = Hex.decode(hex), let raw = Bytes32(b) else {
            throw CoalitionError(.invalidField, "an entry ID is 64 hex characters, got '\(hex.prefix(80))'", field: "id")
        }
        self.raw = raw
    }

    /// Lowercase hex.
    public var hex: String { raw.withUnsafeBytes { Hex.encode($0) } }

    public var description: String { hex }

    /// Ordered by their bytes, lexicographically.
    public static func < (a: EntryID, b: EntryID) -> Bool { a.raw < b.raw }
}

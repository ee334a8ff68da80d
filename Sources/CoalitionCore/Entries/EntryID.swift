import CoalitionCrypto

/// An entry's ID: the SHA-256 of the complete signed entry (signature included).
/// A publish entry's ID is also the ID of the signal it publishes.
public struct EntryID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// The all-zero ID, used as the previous hash of a chain's first entry.
    public static let zero = EntryID(unchecked: [UInt8](repeating: 0, count: 32))

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Wraps 32 bytes.
    public init(bytes: some Collection<UInt8>) throws(CoalitionError) {
        guard bytes.count == 32 else { throw CoalitionError(.invalidField, "an entry ID has 32 bytes", field: "id") }
        self.bytes = Array(bytes)
    }

    /// Parses 64 hex characters.
    public init(hex: String) throws(CoalitionError) {
        guard hex.utf8.count == 64, let b = Hex.decode(hex) else {
            throw CoalitionError(.invalidField, "an entry ID is 64 hex characters, got '\(hex.prefix(80))'", field: "id")
        }
        self.bytes = b
    }

    /// Lowercase hex.
    public var hex: String { Hex.encode(bytes) }

    public static func == (a: EntryID, b: EntryID) -> Bool { ByteEquality.equal(a.bytes, b.bytes) }

    /// IDs are SHA-256 outputs, so their first 8 bytes are already uniformly distributed;
    /// hashing those alone keeps dictionary lookups on the ingest path cheap.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(HashPrefix.load(bytes))
    }
    public var description: String { hex }

    public static func < (a: EntryID, b: EntryID) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// Exactly 32 bytes held inline, as four words: the storage of keys and digests.
///
/// A `[UInt8]` of 32 bytes is a heap allocation with a reference count; an entry carries three
/// such values (its ID, author and previous ID), so every entry decoded cost three allocations,
/// and every copy of an entry three retains and releases. Held inline they cost neither, and
/// equality, hashing and ordering work on words.
public struct Bytes32: Hashable, Sendable, Comparable {
    /// The bytes in memory order (each word loaded from, and stored back to, 8 consecutive bytes).
    @usableFromInline
    let words: (UInt64, UInt64, UInt64, UInt64)

    /// The number of bytes.
    public static let count = 32

    /// All zeros.
    public static let zero = Bytes32(words: (0, 0, 0, 0))

    @usableFromInline
    init(words: (UInt64, UInt64, UInt64, UInt64)) { self.words = words }

    /// Copies `bytes`; nil unless there are exactly 32 of them.
    @inlinable
    public init?<Bytes: Collection<UInt8>>(_ bytes: Bytes) {
        guard bytes.count == Self.count else { return nil }
        if let words = bytes.withContiguousStorageIfAvailable({ Bytes32.load(UnsafeRawBufferPointer($0)) }) {
            self.words = words
        } else {
            self.words = Array(bytes).withUnsafeBytes { Bytes32.load($0) }
        }
    }

    /// Copies the first 32 bytes of `raw`, which must hold at least that many.
    @inlinable
    public init(loading raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= Self.count, "Bytes32 needs 32 bytes, got \(raw.count)")
        words = Self.load(raw)
    }

    @inlinable
    static func load(_ raw: UnsafeRawBufferPointer) -> (UInt64, UInt64, UInt64, UInt64) {
        (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
         raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// Calls `body` with the 32 bytes; the pointer is valid only during the call.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var copy = words
        return try Swift.withUnsafeBytes(of: &copy) { (raw) throws(E) -> R in try body(raw) }
    }

    /// The bytes as a new array.
    @inlinable
    public var array: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The first 8 bytes as a little-endian integer.
    @inlinable
    public var littleEndianPrefix: UInt64 { UInt64(littleEndian: words.0) }

    /// The first 8 bytes as a big-endian integer.
    @inlinable
    public var bigEndianPrefix: UInt64 { UInt64(bigEndian: words.0) }

    @inlinable
    public static func == (a: Bytes32, b: Bytes32) -> Bool {
        (a.words.0 ^ b.words.0) | (a.words.1 ^ b.words.1) | (a.words.2 ^ b.words.2) | (a.words.3 ^ b.words.3) == 0
    }

    /// Keys and digests are uniformly distributed, so one word is enough for a hash table (the
    /// process's seeded hasher still mixes it).
    @inlinable
    public func hash(into hasher: inout Hasher) { hasher.combine(words.0) }

    /// Lexicographic order of the bytes.
    @inlinable
    public static func < (a: Bytes32, b: Bytes32) -> Bool {
        (UInt64(bigEndian: a.words.0), UInt64(bigEndian: a.words.1), UInt64(bigEndian: a.words.2), UInt64(bigEndian: a.words.3))
            < (UInt64(bigEndian: b.words.0), UInt64(bigEndian: b.words.1), UInt64(bigEndian: b.words.2), UInt64(bigEndian: b.words.3))
    }
}

/// Equality of byte arrays that are usually 32 bytes long (keys, digests), compared a word at a
/// time: `Array<UInt8>.==` compares byte by byte, and ingest compares authors and IDs several
/// times per entry (dictionary lookups of the chain links and heads).
public enum ByteEquality {
    /// Whether `a` and `b` hold the same bytes.
    @inlinable
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == 32, b.count == 32 else { return a == b }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                (x.loadUnaligned(fromByteOffset: 0, as: UInt64.self) ^ y.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                    | (x.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ y.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                    | (x.loadUnaligned(fromByteOffset: 16, as: UInt64.self) ^ y.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
                    | (x.loadUnaligned(fromByteOffset: 24, as: UInt64.self) ^ y.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) == 0
            }
        }
    }
}

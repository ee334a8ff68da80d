/// Reads the first 8 bytes of a digest or key as an integer, for `Hashable` conformances of
/// values that are already uniformly random (hashing every byte one at a time is slow).
public enum HashPrefix {
    /// The first 8 bytes (fewer if the array is shorter), little-endian.
    @inlinable
    public static func load(_ bytes: [UInt8]) -> UInt64 {
        if bytes.count >= 8 {
            return bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        }
        var v: UInt64 = 0
        for i in 0..<bytes.count { v |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        return v
    }
}

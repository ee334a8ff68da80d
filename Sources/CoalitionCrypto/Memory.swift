import CSodium

/// Helpers for handling secret bytes.
public enum Memory {
    /// Overwrites the bytes with zeros using `sodium_memzero`, which the compiler cannot elide.
    public static func wipe(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) }
    }
}

import CSodium
import Crypto

/// SHA-256 through swift-crypto (BoringSSL on Linux), which uses the CPU's SHA extensions where
/// it has them: an entry's ID costs 0.5 µs instead of 1.6–2.4 µs through libsodium's portable
/// `crypto_hash_sha256` (320-byte entries, project machine, 2026-11-24), and every received
/// entry is hashed once. The digests are the same; the test vectors check them byte for byte.
public enum SHA256 {
    /// Bytes in a digest.
    public static let byteCount = 32

    /// The SHA-256 digest of `bytes`.
    @inlinable
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(bytes).withUnsafeBytes { hash($0) }
    }

    /// The SHA-256 digest of a raw buffer.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = Crypto.SHA256()
        hasher.update(bufferPointer: buffer)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }

    /// The first 8 bytes, big-endian, of the SHA-256 digest of `first ‖ separator ‖ second`,
    /// computed without a heap allocation (storage keys are hashed once per entry and per lookup).
    public static func prefix64(_ first: UnsafeRawBufferPointer, separator: UInt8, _ second: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = Crypto.SHA256()
        hasher.update(bufferPointer: first)
        withUnsafeBytes(of: separator) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: second)
        return hasher.finalize().withUnsafeBytes { digest in
            digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
    }

    /// An incremental hasher, for digests over many pieces (state digests).
    public struct Hasher {
        private var state = Crypto.SHA256()

        /// Starts a new digest.
        public init() {}

        /// Feeds more bytes.
        public mutating func update(_ bytes: some Collection<UInt8>) {
            if bytes.withContiguousStorageIfAvailable({ state.update(bufferPointer: UnsafeRawBufferPointer($0)) }) == nil {
                Array(bytes).withUnsafeBytes { state.update(bufferPointer: $0) }
            }
        }

        /// Ends the digest.
        public consuming func finalize() -> [UInt8] {
            state.finalize().withUnsafeBytes { Array($0) }
        }
    }
}

/// Cryptographically secure random bytes (`randombytes_buf`).
/// MD5, only to name files the way other systems already do (hash lists and the HMA's `md5`
/// signal type); nothing in Coalition relies on it being collision-resistant.
public enum MD5 {
    /// The MD5 digest of a raw buffer.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = Insecure.MD5()
        hasher.update(bufferPointer: buffer)
        return hasher.finalize().withUnsafeBytes { Array($0) }
    }
}

public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { randombytes_buf(&out, count) }
        return out
    }
}

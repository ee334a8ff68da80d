import CSodium

/// SHA-256 through libsodium (`crypto_hash_sha256`).
public enum SHA256 {
    /// Bytes in a digest.
    public static let byteCount = Int(crypto_hash_sha256_BYTES)

    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        return input.withUnsafeBytes { hash($0) }
    }

    /// The SHA-256 digest of a raw buffer.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: byteCount)
        _ = crypto_hash_sha256(&out, buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(buffer.count))
        return out
    }

    /// The first 8 bytes, big-endian, of the SHA-256 digest of `first ‖ separator ‖ second`,
    /// computed without a heap allocation (storage keys are hashed once per entry and per lookup).
    public static func prefix64(_ first: UnsafeRawBufferPointer, separator: UInt8, _ second: UnsafeRawBufferPointer) -> UInt64 {
        Sodium.ensureInitialized()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        _ = crypto_hash_sha256_update(&state, first.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(first.count))
        var sep = separator
        _ = crypto_hash_sha256_update(&state, &sep, 1)
        _ = crypto_hash_sha256_update(&state, second.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(second.count))
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { digest in
            crypto_hash_sha256_final(&state, digest.baseAddress!)
            return digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
    }

    /// An incremental hasher, for digests over many pieces (state digests).
    public struct Hasher: ~Copyable {
        private var state = crypto_hash_sha256_state()

        /// Starts a new digest.
        public init() {
            Sodium.ensureInitialized()
            crypto_hash_sha256_init(&state)
        }

        /// Feeds more bytes.
        public mutating func update(_ bytes: some Collection<UInt8>) {
            let input = Array(bytes)
            input.withUnsafeBufferPointer { p in
                _ = crypto_hash_sha256_update(&state, p.baseAddress, UInt64(p.count))
            }
        }

        /// Ends the digest.
        public consuming func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: SHA256.byteCount)
            crypto_hash_sha256_final(&state, &out)
            return out
        }
    }
}

/// Cryptographically secure random bytes (`randombytes_buf`).
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { randombytes_buf(&out, count) }
        return out
    }
}

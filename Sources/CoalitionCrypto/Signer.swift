import CSodium

/// An Ed25519 key pair that can sign. It owns the secret key.
///
/// The secret bytes live in memory allocated for this object alone and are wiped with
/// `sodium_memzero` when it is freed. The secret is never printed: `description` shows
/// only the public key.
public final class Signer: @unchecked Sendable, CustomStringConvertible {
    /// Bytes in an Ed25519 signature.
    public static let signatureByteCount = Int(crypto_sign_BYTES)
    /// Bytes in the seed a key pair is derived from.
    public static let seedByteCount = Int(crypto_sign_SEEDBYTES)

    /// The public half.
    public let publicKey: PublicKey
    // libsodium's 64-byte secret key (seed || public key); immutable after init.
    private let secret: UnsafeMutableBufferPointer<UInt8>

    /// Generates a new random key pair.
    public convenience init() {
        Sodium.ensureInitialized()
        var seed = [UInt8](repeating: 0, count: Self.seedByteCount)
        randombytes_buf(&seed, seed.count)
        defer { Memory.wipe(&seed) }
        try! self.init(seed: seed)  // a 32-byte seed is always accepted
    }

    /// Derives the key pair from a 32-byte seed (deterministic; used by key files and test vectors).
    /// - Throws: ``CryptoError/Code/invalidKeyLength`` when the seed is not 32 bytes.
    public init(seed: some Collection<UInt8>) throws(CryptoError) {
        guard seed.count == Self.seedByteCount else {
            throw CryptoError(.invalidKeyLength, "an Ed25519 seed has 32 bytes, got \(seed.count)")
        }
        Sodium.ensureInitialized()
        var seedCopy = Array(seed)
        defer { Memory.wipe(&seedCopy) }
        let secret = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Int(crypto_sign_SECRETKEYBYTES))
        var pk = [UInt8](repeating: 0, count: PublicKey.byteCount)
        _ = crypto_sign_seed_keypair(&pk, secret.baseAddress!, seedCopy)
        self.secret = secret
        self.publicKey = try PublicKey(bytes: pk)
    }

    deinit {
        sodium_memzero(secret.baseAddress!, secret.count)
        secret.deallocate()
    }

    /// A copy of the 32-byte seed, for writing the key file. The caller must wipe it.
    public func exportSeed() -> [UInt8] {
        Array(secret[0..<Self.seedByteCount])
    }

    /// Signs `message`, returning a 64-byte detached signature. Ed25519 is deterministic:
    /// the same key and message always give the same signature.
    public func sign(_ message: some Collection<UInt8>) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: Self.signatureByteCount)
        let msg = Array(message)
        msg.withUnsafeBufferPointer { m in
            _ = crypto_sign_detached(&sig, nil, m.baseAddress, UInt64(m.count), secret.baseAddress!)
        }
        return sig
    }

    /// The X25519 secret key matching ``PublicKey/curve25519()``. The caller must wipe it.
    func curve25519SecretKey() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(crypto_box_SECRETKEYBYTES))
        _ = crypto_sign_ed25519_sk_to_curve25519(&out, secret.baseAddress!)
        return out
    }

    public var description: String { "Signer(public: \(publicKey))" }
}

import CSodium

/// The encryption of restricted entry bodies: a random content key encrypts the body with
/// XChaCha20-Poly1305 (IETF), and the content key is sealed to each recipient with a
/// libsodium sealed box (`crypto_box_seal`) addressed to the Curve25519 form of the
/// recipient's Ed25519 member key.
public enum ContentCipher {
    /// Bytes in a content key.
    public static let keyByteCount = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    /// Bytes in a nonce.
    public static let nonceByteCount = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    /// Bytes the AEAD adds to the plaintext.
    public static let tagByteCount = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    /// Bytes of a sealed content key (ephemeral public key + MAC + key).
    public static let sealedKeyByteCount = Int(crypto_box_sealbytes()) + keyByteCount

    /// Encrypts `plaintext` under `key` and `nonce`, authenticating `associatedData` too.
    public static func encrypt(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyByteCount else { throw CryptoError(.invalidKeyLength, "a content key has \(keyByteCount) bytes") }
        guard nonce.count == nonceByteCount else { throw CryptoError(.invalidInput, "a nonce has \(nonceByteCount) bytes") }
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var outLen: UInt64 = 0
        _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
            &out, &outLen, plaintext, UInt64(plaintext.count),
            associatedData, UInt64(associatedData.count), nil, nonce, key)
        return Array(out.prefix(Int(outLen)))
    }

    /// Decrypts and authenticates.
    /// - Throws: ``CryptoError/Code/decryptionFailed`` when the ciphertext, nonce or data was altered.
    public static func decrypt(
        _ ciphertext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyByteCount, nonce.count == nonceByteCount, ciphertext.count >= tagByteCount else {
            throw CryptoError(.decryptionFailed, "malformed ciphertext, key or nonce")
        }
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        var outLen: UInt64 = 0
        let rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
            &out, &outLen, nil, ciphertext, UInt64(ciphertext.count),
            associatedData, UInt64(associatedData.count), nonce, key)
        guard rc == 0 else { throw CryptoError(.decryptionFailed, "the ciphertext did not authenticate") }
        return Array(out.prefix(Int(outLen)))
    }

    /// Seals a content key to a member with `crypto_box_seal`.
    public static func sealKey(_ key: [UInt8], to recipient: PublicKey) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        guard key.count == keyByteCount else { throw CryptoError(.invalidKeyLength, "a content key has \(keyByteCount) bytes") }
        let curve = try recipient.curve25519()
        var out = [UInt8](repeating: 0, count: sealedKeyByteCount)
        _ = crypto_box_seal(&out, key, UInt64(key.count), curve)
        return out
    }

    /// Opens a sealed content key with the member's own key pair.
    /// - Throws: ``CryptoError/Code/decryptionFailed`` when it was not sealed to this member.
    public static func openKey(_ sealed: [UInt8], with signer: Signer) throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        guard sealed.count == sealedKeyByteCount else { throw CryptoError(.decryptionFailed, "a sealed key has \(sealedKeyByteCount) bytes") }
        var sk = signer.curve25519SecretKey()
        defer { Memory.wipe(&sk) }
        let pk = try signer.publicKey.curve25519()
        var out = [UInt8](repeating: 0, count: keyByteCount)
        let rc = crypto_box_seal_open(&out, sealed, UInt64(sealed.count), pk, sk)
        guard rc == 0 else { throw CryptoError(.decryptionFailed, "the content key is not sealed to this member") }
        return out
    }
}

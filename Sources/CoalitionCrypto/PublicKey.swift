import CSodium

/// An Ed25519 public key: 32 bytes. It is a member's identity on the network.
public struct PublicKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number of bytes in an Ed25519 public key.
    public static let byteCount = 32

    /// The key, held inline (no heap allocation per key).
    public let raw: Bytes32

    /// The raw key bytes, as a new array.
    public var bytes: [UInt8] { raw.array }

    /// Wraps raw key bytes. Inlinable so that callers copy their concrete collection (an entry's
    /// slice, say) directly: unspecialized, the generic copy cost a microsecond per received entry.
    /// - Throws: ``CryptoError/Code/invalidKeyLength`` unless exactly 32 bytes are given.
    @inlinable
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) throws(CryptoError) {
        guard let raw = Bytes32(bytes) else {
            throw CryptoError(.invalidKeyLength, "an Ed25519 public key has 32 bytes, got \(bytes.count)")
        }
        self.raw = raw
    }

    /// Wraps 32 bytes already held inline.
    public init(raw: Bytes32) { self.raw = raw }

    /// Verifies a detached Ed25519 signature over `message` with libsodium's strict verifier
    /// (non-canonical encodings and small-order keys are rejected).
    public func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        guard signature.count == Signer.signatureByteCount else { return false }
        Sodium.ensureInitialized()
        let sig = Array(signature)
        let msg = Array(message)
        return sig.withUnsafeBufferPointer { s in
            msg.withUnsafeBufferPointer { m in
                raw.withUnsafeBytes { k in
                    crypto_sign_verify_detached(s.baseAddress!, m.baseAddress, UInt64(m.count), k.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
                }
            }
        }
    }

    /// Verifies a signature over a message given as a raw buffer, avoiding copies on hot paths.
    public func isValidSignature(_ signature: UnsafeRawBufferPointer, for message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == Signer.signatureByteCount else { return false }
        Sodium.ensureInitialized()
        return raw.withUnsafeBytes { k in
            crypto_sign_verify_detached(
                signature.baseAddress!.assumingMemoryBound(to: UInt8.self),
                message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(message.count),
                k.baseAddress!.assumingMemoryBound(to: UInt8.self)
            ) == 0
        }
    }

    /// The X25519 (Curve25519) form of this key, used to seal content keys to the member.
    /// - Throws: ``CryptoError/Code/invalidKey`` when the point has no Curve25519 form.
    public func curve25519() throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        let rc = out.withUnsafeMutableBufferPointer { o in
            raw.withUnsafeBytes { k in
                crypto_sign_ed25519_pk_to_curve25519(o.baseAddress!, k.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard rc == 0 else { throw CryptoError(.invalidKey, "the Ed25519 key has no Curve25519 form") }
        return out
    }

    /// Ordered by their bytes, lexicographically.
    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool { lhs.raw < rhs.raw }

    /// Lowercase hex of the key.
    public var description: String { raw.withUnsafeBytes { Hex.encode($0) } }
}

import CSodium

/// An Ed25519 public key: 32 bytes. It is a member's identity on the network.
public struct PublicKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number of bytes in an Ed25519 public key.
    public static let byteCount = 32

    /// The raw key bytes.
    public let bytes: [UInt8]

    /// Wraps raw key bytes. Inlinable so that callers copy their concrete collection (an entry's
    /// slice, say) directly: unspecialized, the generic copy cost a microsecond per received entry.
    /// - Throws: ``CryptoError/Code/invalidKeyLength`` unless exactly 32 bytes are given.
    @inlinable
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) throws(CryptoError) {
        guard bytes.count == Self.byteCount else {
            throw CryptoError(.invalidKeyLength, "an Ed25519 public key has 32 bytes, got \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }

    /// Verifies a detached Ed25519 signature over `message` with libsodium's strict verifier
    /// (non-canonical encodings and small-order keys are rejected).
    public func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        guard signature.count == Signer.signatureByteCount else { return false }
        Sodium.ensureInitialized()
        let sig = Array(signature)
        let msg = Array(message)
        return sig.withUnsafeBufferPointer { s in
            msg.withUnsafeBufferPointer { m in
                bytes.withUnsafeBufferPointer { k in
                    crypto_sign_verify_detached(s.baseAddress!, m.baseAddress, UInt64(m.count), k.baseAddress!) == 0
                }
            }
        }
    }

    /// Verifies a signature over a message given as a raw buffer, avoiding copies on hot paths.
    public func isValidSignature(_ signature: UnsafeRawBufferPointer, for message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == Signer.signatureByteCount else { return false }
        Sodium.ensureInitialized()
        return bytes.withUnsafeBufferPointer { k in
            crypto_sign_verify_detached(
                signature.baseAddress!.assumingMemoryBound(to: UInt8.self),
                message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                UInt64(message.count),
                k.baseAddress!
            ) == 0
        }
    }

    /// The X25519 (Curve25519) form of this key, used to seal content keys to the member.
    /// - Throws: ``CryptoError/Code/invalidKey`` when the point has no Curve25519 form.
    public func curve25519() throws(CryptoError) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        let rc = out.withUnsafeMutableBufferPointer { o in
            bytes.withUnsafeBufferPointer { k in
                crypto_sign_ed25519_pk_to_curve25519(o.baseAddress!, k.baseAddress!)
            }
        }
        guard rc == 0 else { throw CryptoError(.invalidKey, "the Ed25519 key has no Curve25519 form") }
        return out
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool { ByteEquality.equal(lhs.bytes, rhs.bytes) }

    /// Ed25519 public keys are uniformly distributed points; 8 bytes suffice for hashing.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(HashPrefix.load(bytes))
    }

    public static func < (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// Lowercase hex of the key.
    public var description: String { Hex.encode(bytes) }
}

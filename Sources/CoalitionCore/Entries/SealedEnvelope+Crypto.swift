import CoalitionCrypto

extension SealedEnvelope {
    /// Encrypts `inner` for `recipients` (the author is always added, so it can read its own
    /// entries back). `seq` must be the sequence number of the entry that will carry it.
    /// - Throws: `invalidField` when there are too many recipients or the inner body is sealed.
    public static func seal(
        _ inner: Body, author: PublicKey, seq: UInt64, recipients: [PublicKey]
    ) throws(CoalitionError) -> SealedEnvelope {
        if case .sealed = inner { throw CoalitionError(.invalidField, "cannot seal a sealed body", field: "body") }
        let keys = Array(Set(recipients + [author])).sorted()
        guard keys.count <= Limits.maxRecipients else {
            throw CoalitionError(.invalidField, "at most \(Limits.maxRecipients) recipients", field: "recipients")
        }
        var contentKey = SecureRandom.bytes(ContentCipher.keyByteCount)
        defer { Memory.wipe(&contentKey) }
        let nonce = SecureRandom.bytes(ContentCipher.nonceByteCount)
        var plaintext = ByteWriter()
        plaintext.u16(inner.typeCode)
        plaintext.raw(BodyCodec.encode(inner))
        defer { Memory.wipe(&plaintext.bytes) }
        do {
            let ciphertext = try ContentCipher.encrypt(plaintext.bytes, key: contentKey, nonce: nonce,
                                                       associatedData: Entry.sealingContext(author: author, seq: seq))
            let recs = try keys.map { k throws(CryptoError) in Recipient(key: k, sealedKey: try ContentCipher.sealKey(contentKey, to: k)) }
            return SealedEnvelope(recipients: recs, nonce: nonce, ciphertext: ciphertext)
        } catch {
            throw CoalitionError(.invalidField, "cannot seal to a recipient: \(error.message)", field: "recipients", underlying: error)
        }
    }

    /// Decrypts the inner body with the reader's key.
    /// - Returns: nil when the reader is not a recipient, or the ciphertext or inner body is
    ///   malformed (the entry then stays unreadable for this reader; it is still valid and relayed).
    public func open(with reader: Signer, author: PublicKey, seq: UInt64) -> Body? {
        guard let rec = recipients.first(where: { $0.key == reader.publicKey }) else { return nil }
        guard var key = try? ContentCipher.openKey(rec.sealedKey, with: reader) else { return nil }
        defer { Memory.wipe(&key) }
        guard let plain = try? ContentCipher.decrypt(ciphertext, key: key, nonce: nonce,
                                                     associatedData: Entry.sealingContext(author: author, seq: seq)),
              plain.count >= 2 else { return nil }
        let type = UInt16(plain[0]) << 8 | UInt16(plain[1])
        // Only signal operations may be sealed; a sealed rotation would hide the end of a chain.
        guard [BodyType.publish, BodyType.retract, BodyType.opinion].contains(type),
              let body = try? BodyCodec.decode(type: type, plain[2...], inner: true) else { return nil }
        return body
    }
}

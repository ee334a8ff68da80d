import CoalitionCrypto

/// One signed operation in an author's append-only chain.
///
/// Layout (all integers big-endian), as in `Protocol/SPEC.md` §3:
/// ```
/// version u8 (=1) ‖ author [32] ‖ seq u64 ‖ prev [32] ‖ timestamp i64 (ms)
/// ‖ body type u16 ‖ body length u32 ‖ body ‖ signature [64]
/// ```
/// The signature covers `"coalition:entry:v1" ‖ 0x00 ‖ signed bytes`, where the signed bytes
/// are everything before the signature. The ID is SHA-256 of the complete entry, signature
/// included, so that it commits to exactly the bytes stored and relayed.
///
/// Decoding checks only the frame; ``verifySignature()`` and ``decodeBody()`` apply the rest of
/// the intrinsic validity rules, and ``ChainRules`` the rules that need the predecessor.
public struct Entry: Hashable, Sendable {
    /// The only format version defined.
    public static let formatVersion: UInt8 = 1
    /// Bytes before the body.
    public static let headerByteCount = 87
    /// The signature's domain-separation prefix.
    public static let signingDomain: [UInt8] = Array("coalition:entry:v1".utf8) + [0]

    /// The complete encoded entry, signature included.
    public let bytes: [UInt8]
    /// The author's key.
    public let author: PublicKey
    /// The author's sequence number, from 1.
    public let seq: UInt64
    /// The ID of the author's previous entry; zero for seq 1.
    public let prev: EntryID
    /// The author's clock, milliseconds since the Unix epoch. Informational; never used for validity beyond ordering within a chain.
    public let timestamp: Int64
    /// The body type number.
    public let bodyType: UInt16
    /// SHA-256 of the complete encoded entry (signature included).
    public let id: EntryID

    /// The body bytes.
    public var bodyBytes: ArraySlice<UInt8> { bytes[Self.headerByteCount..<bytes.count - Signer.signatureByteCount] }
    /// Everything the signature covers (without the domain prefix).
    public var signedBytes: ArraySlice<UInt8> { bytes[0..<bytes.count - Signer.signatureByteCount] }
    /// The 64-byte signature.
    public var signature: ArraySlice<UInt8> { bytes[(bytes.count - Signer.signatureByteCount)...] }

    /// Parses the frame of an entry and computes its ID.
    /// - Throws: `malformedEntry` for truncation, trailing bytes, a wrong version or a bad
    ///   first-entry link; `tooLarge` beyond ``Limits/maxEntryBytes``.
    public init(decoding bytes: [UInt8]) throws(CoalitionError) {
        guard bytes.count <= Limits.maxEntryBytes else {
            throw CoalitionError(.tooLarge, "an entry is \(bytes.count) bytes; the limit is \(Limits.maxEntryBytes)", field: "entry")
        }
        guard bytes.count >= Self.headerByteCount + Signer.signatureByteCount else {
            throw CoalitionError(.malformedEntry, "truncated: \(bytes.count) bytes is shorter than a header and a signature", field: "entry")
        }
        var r = ByteReader(bytes[...])
        let version = r.u8()!
        guard version == Self.formatVersion else {
            throw CoalitionError(.malformedEntry, "unsupported entry format version \(version)", field: "version")
        }
        let author = try! PublicKey(bytes: r.take(32)!)
        let seq = r.u64()!
        let prev = EntryID(unchecked: r.take(32)!)
        let timestamp = r.i64()!
        let bodyType = r.u16()!
        let bodyLength = Int(r.u32()!)
        guard bytes.count == Self.headerByteCount + bodyLength + Signer.signatureByteCount else {
            throw CoalitionError(.malformedEntry, "the body length \(bodyLength) does not match the entry size \(bytes.count)", field: "entry")
        }
        guard seq >= 1 else { throw CoalitionError(.malformedEntry, "sequence numbers start at 1", field: "seq") }
        guard (seq == 1) == (prev == .zero) else {
            throw CoalitionError(.brokenChain, seq == 1 ? "the first entry must have an all-zero previous hash" : "only the first entry may have an all-zero previous hash", field: "prev")
        }
        guard timestamp >= 0 else { throw CoalitionError(.malformedEntry, "the timestamp is negative", field: "timestamp") }
        self.bytes = bytes
        self.author = author
        self.seq = seq
        self.prev = prev
        self.timestamp = timestamp
        self.bodyType = bodyType
        self.id = EntryID(unchecked: bytes.withUnsafeBytes { SHA256.hash($0) })
    }

    /// Strict Ed25519 verification of the signature by the author's key.
    public func verifySignature() -> Bool {
        let n = bytes.count - Signer.signatureByteCount
        let domain = Self.signingDomain
        // The signing input (domain ‖ signed bytes) is assembled in a stack buffer: this runs
        // once per received entry, on every core.
        return withUnsafeTemporaryAllocation(byteCount: domain.count + n, alignment: 1) { message in
            domain.withUnsafeBytes { message.copyMemory(from: $0) }
            return bytes.withUnsafeBytes { b in
                UnsafeMutableRawBufferPointer(rebasing: message[domain.count...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: b[0..<n]))
                return author.isValidSignature(UnsafeRawBufferPointer(rebasing: b[n...]), for: UnsafeRawBufferPointer(message))
            }
        }
    }

    /// Decodes and checks the body. Unknown body types decode as ``Body/unknown(type:)``.
    /// - Throws: `malformedEntry` / `tooLarge` naming the field that breaks a rule.
    public func decodeBody() throws(CoalitionError) -> Body {
        try BodyCodec.decode(type: bodyType, bodyBytes)
    }

    /// Checks every rule that needs no other entry: frame (already done), signature, body.
    /// - Returns: the decoded body.
    public func validateIntrinsic() throws(CoalitionError) -> Body {
        guard verifySignature() else {
            throw CoalitionError(.badSignature, "the signature does not verify for author \(MemberID(publicKey: author).short)", field: "signature")
        }
        let body = try decodeBody()
        if case .keyRotation(let rotation) = body {
            guard rotation.successor != author else {
                throw CoalitionError(.malformedEntry, "a key cannot rotate to itself", field: "successor")
            }
            let statement = KeyRotation.statement(current: author, successor: rotation.successor)
            guard rotation.successor.isValidSignature(rotation.successorSignature, for: statement) else {
                throw CoalitionError(.badSignature, "the successor's signature does not verify", field: "successorSignature")
            }
        }
        return body
    }

    /// Builds and signs an entry.
    /// - Throws: `tooLarge` when the encoded entry exceeds ``Limits/maxEntryBytes``.
    public static func sign(
        by signer: Signer, seq: UInt64, prev: EntryID, timestamp: Int64, body: Body
    ) throws(CoalitionError) -> Entry {
        try sign(by: signer, seq: seq, prev: prev, timestamp: timestamp, bodyType: body.typeCode, bodyBytes: BodyCodec.encode(body))
    }

    /// Builds and signs an entry with raw body bytes (used for tests of unknown body types).
    public static func sign(
        by signer: Signer, seq: UInt64, prev: EntryID, timestamp: Int64, bodyType: UInt16, bodyBytes: [UInt8]
    ) throws(CoalitionError) -> Entry {
        var w = ByteWriter(capacity: headerByteCount + bodyBytes.count + Signer.signatureByteCount)
        w.u8(formatVersion)
        w.raw(signer.publicKey.bytes)
        w.u64(seq)
        w.raw(prev.bytes)
        w.i64(timestamp)
        w.u16(bodyType)
        w.u32(UInt32(bodyBytes.count))
        w.raw(bodyBytes)
        let signature = signer.sign(signingDomain + w.bytes)
        w.raw(signature)
        return try Entry(decoding: w.bytes)
    }

    /// The associated data of a sealed body: version ‖ author ‖ seq (the first 41 bytes).
    static func sealingContext(author: PublicKey, seq: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 41)
        w.u8(formatVersion)
        w.raw(author.bytes)
        w.u64(seq)
        return w.bytes
    }
}

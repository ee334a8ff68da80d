import CoalitionCrypto

/// The routing fields of an entry's header (§3.1), read from its bytes without decoding the body
/// or verifying anything: for deciding where bytes go (relay, sync bookkeeping) only. Whatever is
/// stored is decoded and verified in full by ``Entry/init(decoding:)``.
public struct EntryHeader: Sendable, Equatable {
    public let author: PublicKey
    public let seq: UInt64

    /// The header of `bytes`, or nil when they are too short or the version is unknown.
    public init?(peeking bytes: [UInt8]) {
        guard bytes.count >= Entry.headerByteCount else { return nil }
        var r = ByteReader(bytes[...])
        guard r.u8() == Entry.formatVersion, let key = r.take(32).flatMap({ try? PublicKey(bytes: $0) }), let seq = r.u64() else { return nil }
        self.author = key
        self.seq = seq
    }

    /// The ID of entry bytes (SHA-256 of all of them, §3.3), without decoding them.
    public static func id(of bytes: [UInt8]) -> EntryID {
        EntryID(unchecked: bytes.withUnsafeBytes { SHA256.hash($0) })
    }
}

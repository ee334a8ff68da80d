import CoalitionCore
import CoalitionCrypto

extension EntryID {
    /// The first 8 bytes, big-endian, as the `idKey` index column (see `AppDatabase`).
    var storageKey: Int64 {
        Int64(bitPattern: bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
    }
}

extension IndicatorKey {
    /// The first 8 bytes of SHA-256(kind ‖ 0x00 ‖ value), as the `indicatorKey` index column
    /// (also the key of the API's in-memory exact-lookup filter).
    public var storageKey: Int64 {
        let digest = SHA256.hash(Array(kind.name.utf8) + [0] + Array(value.utf8))
        return Int64(bitPattern: digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
    }
}

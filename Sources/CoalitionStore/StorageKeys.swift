import CoalitionCore
import CoalitionCrypto

extension EntryID {
    /// The first 8 bytes, big-endian, as the `idKey` index column (see `AppDatabase`).
    var storageKey: Int64 {
        Int64(bitPattern: raw.bigEndianPrefix)
    }
}

extension IndicatorKey {
    /// The first 8 bytes of SHA-256(kind ‖ 0x00 ‖ value), as the `indicatorKey` index column
    /// (also the key of the API's in-memory exact-lookup filter).
    public var storageKey: Int64 {
        var name = kind.name
        var value = value
        return name.withUTF8 { k in
            value.withUTF8 { v in Int64(bitPattern: SHA256.prefix64(UnsafeRawBufferPointer(k), separator: 0, UnsafeRawBufferPointer(v))) }
        }
    }
}

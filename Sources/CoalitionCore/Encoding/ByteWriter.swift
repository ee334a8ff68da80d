/// Appends big-endian integers and length-prefixed fields: the canonical encoding's writer.
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((v >> UInt32(s)) & 0xff)) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((v >> UInt64(s)) & 0xff)) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    mutating func raw(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }

    /// A body field: tag (u8), length (u32), value.
    mutating func field(_ tag: UInt8, _ value: [UInt8]) {
        u8(tag)
        u32(UInt32(value.count))
        raw(value)
    }

    mutating func field(_ tag: UInt8, text: String) { field(tag, Array(text.utf8)) }
    mutating func field(_ tag: UInt8, u8 value: UInt8) { field(tag, [value]) }
    mutating func field(_ tag: UInt8, i64 value: Int64) {
        var w = ByteWriter(capacity: 8)
        w.i64(value)
        field(tag, w.bytes)
    }
    /// A list of texts: each item is a u32 length followed by its UTF-8 bytes.
    mutating func field(_ tag: UInt8, texts: [String]) {
        var w = ByteWriter()
        for t in texts {
            let b = Array(t.utf8)
            w.u32(UInt32(b.count))
            w.raw(b)
        }
        field(tag, w.bytes)
    }
}

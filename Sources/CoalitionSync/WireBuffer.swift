/// Writes the gossip messages' fields: fixed-width big-endian integers, unsigned LEB128 varints
/// and raw bytes. (Entries keep their own canonical encoding; this is only the envelope.)
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xff)) }
    mutating func u32(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
    mutating func raw(_ b: some Collection<UInt8>) { bytes.append(contentsOf: b) }

    /// Unsigned LEB128: seven bits a byte, least significant first, high bit set on all but the last.
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A varint length followed by the bytes.
    mutating func lengthPrefixed(_ b: some Collection<UInt8>) {
        varint(UInt64(b.count))
        raw(b)
    }
}

/// Reads what ``WireWriter`` writes, throwing ``WireError`` on truncation or malformed varints.
struct WireReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
        self.end = bytes.count
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset == end }

    mutating func u8(_ field: String) throws(WireError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: String) throws(WireError) -> UInt16 {
        UInt16(try fixed(2, field))
    }

    mutating func u32(_ field: String) throws(WireError) -> UInt32 {
        UInt32(try fixed(4, field))
    }

    mutating func u64(_ field: String) throws(WireError) -> UInt64 {
        try fixed(8, field)
    }

    mutating func raw(_ count: Int, _ field: String) throws(WireError) -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func varint(_ field: String) throws(WireError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8(field)
            guard shift < 64, shift < 63 || b <= 1 else { throw WireError(.malformed, "\(field): varint overflows 64 bits") }
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 {
                guard b != 0 || shift == 0 else { throw WireError(.malformed, "\(field): varint is not minimally encoded") }
                return value
            }
            shift += 7
        }
    }

    /// A count that bounds a following list: at most `limit`, and (since each item takes at least
    /// `minItemBytes`) no more than the rest of the message could hold.
    mutating func count(_ field: String, limit: Int, minItemBytes: Int = 1) throws(WireError) -> Int {
        let n = try varint(field)
        guard n <= UInt64(limit) else { throw WireError(.malformed, "\(field): \(n) items exceed the limit of \(limit)") }
        guard Int(n) * minItemBytes <= remaining else { throw WireError(.truncated, "\(field): \(n) items cannot fit in \(remaining) bytes") }
        return Int(n)
    }

    mutating func lengthPrefixed(_ field: String, limit: Int) throws(WireError) -> [UInt8] {
        let n = try varint(field)
        guard n <= UInt64(limit) else { throw WireError(.malformed, "\(field): length \(n) exceeds \(limit)") }
        return try raw(Int(n), field)
    }

    private mutating func fixed(_ count: Int, _ field: String) throws(WireError) -> UInt64 {
        try need(count, field)
        var v: UInt64 = 0
        for i in 0..<count { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += count
        return v
    }

    private func need(_ count: Int, _ field: String) throws(WireError) {
        guard remaining >= count else {
            throw WireError(.truncated, "\(field): needs \(count) bytes, \(remaining) left")
        }
    }
}

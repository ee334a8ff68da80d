/// How ``PDQMultiIndex`` cuts the 256 bits of a hash into substrings, one table each, and how
/// far from the query's substring each table is probed for a given search radius.
///
/// Substrings are about log₂ N bits for an index sized for N hashes (Norouzi, Punjani and Fleet):
/// then a bucket holds about one hash, and the number of candidates checked per query stays
/// small. The width is capped at ``maxBits`` so that the bucket heads of an index fit in a few
/// hundred megabytes (12 tables of 21–22 bits from about a million hashes up).
public struct SubstringLayout: Sendable, Equatable {
    /// The largest nominal substring width: 2²¹ buckets per table.
    public static let maxBits = 21
    /// The smallest nominal substring width, for small and empty indexes.
    public static let minBits = 12

    /// The nominal width (log₂ of the number of hashes the layout suits).
    public let bits: Int
    /// The width of each table's substring, widest first; they add up to 256.
    public let widths: [Int]
    /// The bit offset of each table's substring, counted from the hash's first (most significant) bit.
    public let offsets: [Int]

    /// The layout for an index expected to hold about `expectedCount` hashes.
    public init(expectedCount: Int) {
        // log₂ of the count, rounded to the nearest integer.
        let n = max(expectedCount, 1)
        let floorLog2 = Int.bitWidth - 1 - n.leadingZeroBitCount
        let log2 = Double(n) >= Double(1 << floorLog2) * 2.0.squareRoot() ? floorLog2 + 1 : floorLog2
        self.init(bits: min(Self.maxBits, max(Self.minBits, log2)))
    }

    /// The layout with substrings of about `bits` bits: ⌊256 / bits⌋ tables, the first
    /// `256 mod tables` of them one bit wider.
    public init(bits: Int) {
        precondition((8...32).contains(bits), "substring width out of range")
        self.bits = bits
        let tables = 256 / bits
        let base = 256 / tables, wider = 256 % tables
        widths = (0..<tables).map { $0 < wider ? base + 1 : base }
        var offset = 0
        offsets = widths.map { w in defer { offset += w }; return offset }
    }

    public var tableCount: Int { widths.count }

    /// The number of hashes this layout suits; an index regrows its layout well past it.
    public var capacity: Int { 1 << bits }

    /// Table `table`'s substring of `hash`.
    @inline(__always)
    public func substring(_ hash: PDQHash, _ table: Int) -> Int {
        let offset = offsets[table], width = widths[table]
        let index = offset >> 6, shift = offset & 63
        var x = Self.word(hash, index) << UInt64(shift)
        if shift + width > 64 { x |= Self.word(hash, index + 1) >> UInt64(64 - shift) }
        return Int(truncatingIfNeeded: x >> UInt64(64 - width))
    }

    @inline(__always)
    static func word(_ hash: PDQHash, _ i: Int) -> UInt64 {
        switch i {
        case 0: hash.words.0
        case 1: hash.words.1
        case 2: hash.words.2
        default: hash.words.3
        }
    }

    /// How far from the query's substring table `table` is probed for a search within `radius`,
    /// or -1 when the table need not be probed at all.
    ///
    /// With *m* tables and *r* = *m*·*q* + *a*: a hash within *r* of the query has a substring
    /// within *q* among the first *a* + 1 tables, or within *q* − 1 among the others (otherwise
    /// its distance would be at least (*a* + 1)(*q* + 1) + (*m* − *a* − 1)*q* = *r* + 1). The
    /// first tables are the widest, whose buckets are the emptiest, so they take the larger radius.
    public func probeRadius(table: Int, radius: Int) -> Int {
        let m = tableCount
        return table <= radius % m ? radius / m : radius / m - 1
    }

    /// The expected number of candidates (and probes) a search within `radius` costs with
    /// `count` hashes stored, to compare with a linear scan of `count` hashes.
    public func searchCost(radius: Int, count: Int) -> Double {
        var cost = 0.0
        for t in 0..<tableCount {
            let k = probeRadius(table: t, radius: radius)
            guard k >= 0 else { continue }
            let probes = (0...k).reduce(0.0) { $0 + Self.binomial(widths[t], $1) }
            cost += probes * (1 + Double(count) / Double(1 << widths[t]))
        }
        return cost
    }

    static func binomial(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return 0 }
        var r = 1.0
        for i in 0..<k { r = r * Double(n - i) / Double(i + 1) }
        return r
    }

    /// Calls `body` with every `width`-bit mask that has at most `bits` bits set, fewest first
    /// (Gosper's hack enumerates each popcount in increasing order).
    @inline(__always)
    public static func forEachMask(width: Int, within bits: Int, _ body: (Int) -> Void) {
        guard bits >= 0 else { return }
        body(0)
        let limit = 1 << width
        var p = 1
        while p <= min(bits, width) {
            var m = (1 << p) - 1
            while m < limit {
                body(m)
                let c = m & -m, r = m + c
                m = (((r ^ m) >> 2) >> c.trailingZeroBitCount) | r  // (r ^ m) / 4 / c, c a power of two
            }
            p += 1
        }
    }
}

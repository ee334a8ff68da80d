/// The buckets of one multi-index table: for each substring value, the slots of the hashes that
/// have it. All buckets live in one flat arena of 32-bit slot numbers, so there is no array (and
/// no heap object) per bucket, and a search reads one head and one run of the arena per probe.
///
/// Each bucket owns a region of the arena whose capacity is a power of two. A full bucket moves
/// to a region twice as large, and the old region goes on a free list for its size, where the
/// next bucket growing to that size finds it. Removal swaps the last slot of the bucket into the
/// gap. A bulk build lays every bucket out once, at the smallest power of two that fits it.
struct SlotBuckets: Sendable {
    /// Per bucket: `offset << 32 | count << 5 | sizeClass`, where a size class *c* > 0 is a
    /// region of 2^(c−1) slots and 0 is no region.
    private(set) var heads: [UInt64]
    private(set) var arena: [UInt32] = []
    /// Per size class, the first free region of that size (its first word links to the next),
    /// or `UInt32.max`.
    private var free = [UInt32](repeating: .max, count: 32)

    /// Empty buckets, `bucketCount` of them.
    init(bucketCount: Int) {
        heads = [UInt64](repeating: 0, count: bucketCount)
    }

    /// Buckets holding slot `i` in bucket `bucketOf[i]`, for every `i`, each bucket in slot order.
    init(bucketCount: Int, bucketOf: [UInt32]) {
        var counts = [UInt32](repeating: 0, count: bucketCount)
        for b in bucketOf { counts[Int(b)] += 1 }
        var heads = HugePages.array(count: bucketCount) { _ in UInt64(0) }
        var total = 0
        for b in 0..<bucketCount where counts[b] > 0 {
            let sizeClass = Self.sizeClass(holding: Int(counts[b]))
            heads[b] = UInt64(total) << 32 | UInt64(sizeClass)
            total += 1 << (sizeClass - 1)
        }
        precondition(total <= Int(UInt32.max), "too many slots for one multi-index table")
        var arena = HugePages.array(count: total, reserving: total / 8) { _ in UInt32(0) }
        for (slot, b) in bucketOf.enumerated() {
            let h = heads[Int(b)]
            arena[Int(h >> 32) + Self.count(h)] = UInt32(slot)
            heads[Int(b)] = h + (1 << 5)
        }
        self.heads = heads
        self.arena = arena
    }

    @inline(__always) static func count(_ head: UInt64) -> Int { Int(truncatingIfNeeded: head >> 5) & 0x7ff_ffff }
    @inline(__always) static func offset(_ head: UInt64) -> Int { Int(truncatingIfNeeded: head >> 32) }
    @inline(__always) static func capacity(_ head: UInt64) -> Int {
        let c = Int(head & 31)
        return c == 0 ? 0 : 1 << (c - 1)
    }

    /// The smallest size class whose regions hold `n` slots.
    static func sizeClass(holding n: Int) -> Int {
        n <= 1 ? 1 : Int.bitWidth - (n - 1).leadingZeroBitCount + 1
    }

    /// The slots of bucket `bucket` (for tests and maintenance; searches read the arena directly).
    func slots(in bucket: Int) -> ArraySlice<UInt32> {
        let h = heads[bucket]
        return arena[Self.offset(h)..<Self.offset(h) + Self.count(h)]
    }

    /// Appends `slot` to bucket `bucket`.
    mutating func insert(_ slot: UInt32, into bucket: Int) {
        var h = heads[bucket]
        var n = Self.count(h)
        if n == Self.capacity(h) {
            let old = h
            let sizeClass = Self.sizeClass(holding: n + 1)
            let offset = allocate(sizeClass)
            for i in 0..<n { arena[offset + i] = arena[Self.offset(old) + i] }
            if old & 31 != 0 { release(Self.offset(old), Int(old & 31)) }
            h = UInt64(offset) << 32 | UInt64(n) << 5 | UInt64(sizeClass)
        }
        arena[Self.offset(h) + n] = slot
        n += 1
        precondition(n <= 0x7ff_ffff, "a multi-index bucket is full")
        heads[bucket] = h & ~(0x7ff_ffff << 5) | UInt64(n) << 5
    }

    /// Removes `slot` from bucket `bucket`; false if it was not there.
    @discardableResult
    mutating func remove(_ slot: UInt32, from bucket: Int) -> Bool {
        let h = heads[bucket]
        let base = Self.offset(h), n = Self.count(h)
        guard let i = (base..<base + n).first(where: { arena[$0] == slot }) else { return false }
        arena[i] = arena[base + n - 1]
        if n == 1 {
            release(base, Int(h & 31))
            heads[bucket] = 0
        } else {
            heads[bucket] = h - (1 << 5)
        }
        return true
    }

    /// Replaces slot number `old` with `new` in bucket `bucket` (after a hash moved slots).
    mutating func renumber(_ old: UInt32, to new: UInt32, in bucket: Int) {
        let h = heads[bucket]
        let base = Self.offset(h)
        if let i = (base..<base + Self.count(h)).first(where: { arena[$0] == old }) { arena[i] = new }
    }

    private mutating func allocate(_ sizeClass: Int) -> Int {
        let reused = free[sizeClass]
        if reused != .max {
            free[sizeClass] = arena[Int(reused)]
            return Int(reused)
        }
        let offset = arena.count
        precondition(offset + (1 << (sizeClass - 1)) <= Int(UInt32.max), "too many slots for one multi-index table")
        arena.append(contentsOf: repeatElement(0, count: 1 << (sizeClass - 1)))
        return offset
    }

    private mutating func release(_ offset: Int, _ sizeClass: Int) {
        arena[offset] = free[sizeClass]
        free[sizeClass] = UInt32(offset)
    }
}

/// A compact set of 64-bit keys with constant-time membership: the in-memory filter in front of
/// exact lookups (md5, sha256, canonical URLs). Each stored indicator is represented by a 64-bit
/// prefix of a cryptographic hash of its kind and value, so a key that is absent proves that the
/// indicator is unknown without touching the database, and a present key is confirmed against
/// the stored rows (a collision, about one in 2⁶⁴ per pair, costs one database read, never a
/// wrong answer).
///
/// Storage is one flat array of keys with open addressing and linear probing: 8 bytes a slot, at
/// most 70% full, so about 11–23 bytes per key and no object per key. Keys are only ever added
/// (stored signals are never deleted; retracted ones still answer lookups that include them).
public struct ExactKeySet: Sendable {
    private var slots: [UInt64]
    public private(set) var count = 0

    /// An empty set with room for `capacity` keys before it first grows.
    public init(capacity: Int = 0) {
        slots = HugePages.array(count: Self.tableSize(for: capacity)) { _ in 0 }
    }

    /// The smallest power of two that keeps `n` keys at most 70% full.
    static func tableSize(for n: Int) -> Int {
        var size = 16
        while size * 7 / 10 < n { size <<= 1 }
        return size
    }

    /// 0 marks an empty slot, so the key 0 is stored as 1 (the set stays exact for every other
    /// key, and a lookup of 1 after an insert of 0 is just one more confirmed-against-the-rows
    /// false positive).
    @inline(__always) static func stored(_ key: UInt64) -> UInt64 { key == 0 ? 1 : key }

    @inline(__always) static func start(_ key: UInt64, _ mask: Int) -> Int {
        // The keys are hash prefixes already; one multiply mixes sequential test keys too.
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    /// Adds `key`; false if it was already present.
    @discardableResult
    public mutating func insert(_ key: UInt64) -> Bool {
        if (count + 1) * 10 > slots.count * 7 { grow() }
        let k = Self.stored(key), mask = slots.count - 1
        var i = Self.start(k, mask)
        while true {
            let s = slots[i]
            if s == k { return false }
            if s == 0 {
                slots[i] = k
                count += 1
                return true
            }
            i = (i + 1) & mask
        }
    }

    /// Whether `key` was added.
    public func contains(_ key: UInt64) -> Bool {
        let k = Self.stored(key), mask = slots.count - 1
        return slots.withUnsafeBufferPointer { s in
            var i = Self.start(k, mask)
            while true {
                let v = s[i]
                if v == k { return true }
                if v == 0 { return false }
                i = (i + 1) & mask
            }
        }
    }

    /// Doubles the table and reinserts every key: amortised O(1) per insert.
    private mutating func grow() {
        let old = slots
        slots = HugePages.array(count: old.count * 2) { _ in 0 }
        count = 0
        for k in old where k != 0 { insert(k) }
    }
}

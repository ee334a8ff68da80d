/// Exact radius search over PDQ hashes with multi-index hashing (Norouzi, Punjani and Fleet,
/// "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012).
///
/// The 256 bits are cut into 16 substrings of 16 bits, each indexed in its own table. If a hash
/// is within distance *r* of the query, then by the pigeonhole principle at least one of its 16
/// substrings is within ⌊r/16⌋ of the query's (≤ 1 for the usual r ≤ 31). A search probes, in
/// every table, the buckets within that distance of the query's substring, and checks each
/// candidate's full distance: every hash within *r* is found (recall 1.0), and nothing else is
/// returned. 16-bit substrings suit roughly 10⁵–10⁷ hashes (about log₂ N bits each).
///
/// Storage: the hashes in one flat `[UInt64]` array (4 words each), and per table 65,536 buckets
/// of 32-bit slot numbers; no object per hash. Insertions append, removals move the last hash
/// into the freed slot: both touch 16 buckets, never the whole index.
public struct PDQMultiIndex<Key: Hashable & Sendable>: Sendable {
    static var tables: Int { 16 }
    static var bucketCount: Int { 1 << 16 }

    private var words: [UInt64] = []
    private var keys: [Key] = []
    private var slots: [Key: UInt32] = [:]
    /// `buckets[table * 65536 + substring]` holds the slots whose substring `table` equals it.
    private var buckets: [[UInt32]]

    public init() {
        buckets = Array(repeating: [], count: Self.tables * Self.bucketCount)
    }

    public var count: Int { keys.count }

    /// The 16-bit substring `table` of a hash.
    @inline(__always)
    static func substring(_ w: (UInt64, UInt64, UInt64, UInt64), _ table: Int) -> Int {
        let word: UInt64 = switch table >> 2 {
        case 0: w.0
        case 1: w.1
        case 2: w.2
        default: w.3
        }
        return Int(truncatingIfNeeded: word >> UInt64((3 - (table & 3)) * 16)) & 0xffff
    }

    /// Adds or replaces the hash stored under `key`.
    public mutating func insert(_ hash: PDQHash, for key: Key) {
        if slots[key] != nil { remove(key) }
        let slot = UInt32(keys.count)
        slots[key] = slot
        keys.append(key)
        words.append(contentsOf: [hash.words.0, hash.words.1, hash.words.2, hash.words.3])
        for t in 0..<Self.tables {
            buckets[t * Self.bucketCount + Self.substring(hash.words, t)].append(slot)
        }
    }

    /// Removes the hash stored under `key`, if any.
    public mutating func remove(_ key: Key) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        let last = UInt32(keys.count - 1)
        let gone = hash(at: Int(slot))
        for t in 0..<Self.tables { removeSlot(slot, from: t * Self.bucketCount + Self.substring(gone.words, t)) }
        if slot != last {
            // Move the last hash into the freed slot and renumber it in its buckets.
            let moved = hash(at: Int(last))
            for t in 0..<Self.tables {
                let b = t * Self.bucketCount + Self.substring(moved.words, t)
                if let i = buckets[b].firstIndex(of: last) { buckets[b][i] = slot }
            }
            keys[Int(slot)] = keys[Int(last)]
            slots[keys[Int(slot)]] = slot
            for i in 0..<4 { words[Int(slot) * 4 + i] = words[Int(last) * 4 + i] }
        }
        keys.removeLast()
        words.removeLast(4)
    }

    /// Every stored hash within `radius` of `query`, with its distance, nearest first.
    public func search(_ query: PDQHash, radius: Int) -> [(key: Key, distance: Int)] {
        guard radius >= 0, !keys.isEmpty else { return [] }
        let perTable = radius / Self.tables
        let probes = Self.masks(within: perTable)
        // A hash within `radius` shows up in every table where its substring is close enough,
        // so hits are deduplicated, but only hits: the candidates that fail the distance check
        // (nearly all of them) cost a popcount and no dictionary lookup.
        var hits: [(slot: UInt32, distance: Int)] = []
        let (q0, q1, q2, q3) = query.words
        words.withUnsafeBufferPointer { w in
            for t in 0..<Self.tables {
                let base = t * Self.bucketCount
                let sub = Self.substring(query.words, t)
                for mask in probes {
                    for slot in buckets[base + (sub ^ mask)] {
                        let b = Int(slot) * 4
                        let d = (w[b] ^ q0).nonzeroBitCount + (w[b + 1] ^ q1).nonzeroBitCount
                            + (w[b + 2] ^ q2).nonzeroBitCount + (w[b + 3] ^ q3).nonzeroBitCount
                        if d <= radius { hits.append((slot, d)) }
                    }
                }
            }
        }
        hits.sort { ($0.distance, $0.slot) < ($1.distance, $1.slot) }
        var seen = Set<UInt32>()
        return hits.compactMap { seen.insert($0.slot).inserted ? (keys[Int($0.slot)], $0.distance) : nil }
    }

    /// Every 16-bit mask with at most `bits` bits set: the substring values within that distance.
    static func masks(within bits: Int) -> [Int] {
        bits < SubstringMasks.precomputed.count ? SubstringMasks.precomputed[bits] : SubstringMasks.compute(bits)
    }

    private func hash(at slot: Int) -> PDQHash {
        PDQHash(words: (words[slot * 4], words[slot * 4 + 1], words[slot * 4 + 2], words[slot * 4 + 3]))
    }

    private mutating func removeSlot(_ slot: UInt32, from bucket: Int) {
        if let i = buckets[bucket].firstIndex(of: slot) {
            buckets[bucket].swapAt(i, buckets[bucket].count - 1)
            buckets[bucket].removeLast()
        }
    }
}

/// The probe masks of ``PDQMultiIndex``, precomputed for the distances searches use (up to 64,
/// that is up to 4 bits per substring).
enum SubstringMasks {
    static let precomputed: [[Int]] = (0...4).map(compute)

    static func compute(_ bits: Int) -> [Int] {
        (0..<(1 << 16)).filter { $0.nonzeroBitCount <= bits }.sorted { $0.nonzeroBitCount < $1.nonzeroBitCount }
    }
}

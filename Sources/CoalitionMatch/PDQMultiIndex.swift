import CoalitionCore

/// Exact radius search over PDQ hashes with multi-index hashing (Norouzi, Punjani and Fleet,
/// "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012).
///
/// The 256 bits are cut into *m* substrings of about log₂ N bits (see ``SubstringLayout``), each
/// indexed in its own table. By the pigeonhole principle a hash within distance *r* of the query
/// has at least one substring close to the query's (``SubstringLayout/probeRadius(table:radius:)``).
/// A search probes, in every table, the buckets within that distance of the query's substring and
/// checks each candidate's full distance: every hash within *r* is found (recall 1.0), and nothing
/// else is returned. When the probes would cost more than a scan (very large radii on a small
/// index), the search scans instead, with the same result.
///
/// Storage: the hashes in one flat array (32 bytes each), the keys in another, and per table the
/// bucket heads and one arena of 32-bit slot numbers (``SlotBuckets``); no object per hash, and no
/// dictionary from key to slot. Insertions append, removals move the last hash into the freed
/// slot: both touch one bucket per table, never the whole index. The layout grows with the index
/// (a rebuild when it holds several times what its layout suits), so an index that starts empty
/// and grows by gossip keeps its search speed.
public struct PDQMultiIndex<Key: Hashable & Sendable>: Sendable {
    public private(set) var layout: SubstringLayout
    private var hashes: [PDQHash] = []
    private var keys: [Key] = []
    private var tables: [SlotBuckets]

    /// An empty index, laid out for about `expectedCount` hashes.
    public init(expectedCount: Int = 0) {
        layout = SubstringLayout(expectedCount: expectedCount)
        tables = layout.widths.map { SlotBuckets(bucketCount: 1 << $0) }
    }

    /// An index of `hashes[i]` under `keys[i]`, built in one pass per table on all cores: much
    /// faster than inserting them one by one. Pairs must be distinct.
    public init(hashes: [PDQHash], keys: [Key]) {
        precondition(hashes.count == keys.count, "one key per hash")
        precondition(hashes.count < Int(UInt32.max), "too many hashes for one index")
        self.init(hashes: hashes, keys: keys, layout: SubstringLayout(expectedCount: hashes.count))
    }

    private init(hashes: [PDQHash], keys: [Key], layout: SubstringLayout) {
        self.layout = layout
        // Room to grow by an eighth before the arrays are reallocated (which copies them).
        self.hashes = HugePages.array(count: hashes.count, reserving: hashes.count / 8) { hashes[$0] }
        self.keys = keys
        self.keys.reserveCapacity(keys.count + keys.count / 8)
        tables = Array(0..<layout.tableCount).parallelMap(chunkSize: 1) { t in
            SlotBuckets(bucketCount: 1 << layout.widths[t], bucketOf: hashes.map { UInt32(layout.substring($0, t)) })
        }
    }

    public var count: Int { keys.count }

    /// Adds `hash` under `key`. Adding a pair that is already stored does nothing.
    public mutating func insert(_ hash: PDQHash, for key: Key) {
        guard slot(of: hash, key) == nil else { return }
        if layout.bits < SubstringLayout.maxBits, keys.count >= 4 * layout.capacity {
            // Substrings this short make buckets crowded: lay the index out for its size.
            self = PDQMultiIndex(hashes: hashes, keys: keys, layout: SubstringLayout(expectedCount: 2 * keys.count))
        }
        precondition(keys.count < Int(UInt32.max), "too many hashes for one index")
        let slot = UInt32(keys.count)
        hashes.append(hash)
        keys.append(key)
        for t in 0..<tables.count { tables[t].insert(slot, into: layout.substring(hash, t)) }
    }

    /// Removes `hash` stored under `key`; false if that pair is not stored.
    @discardableResult
    public mutating func remove(_ hash: PDQHash, for key: Key) -> Bool {
        guard let slot = slot(of: hash, key) else { return false }
        for t in 0..<tables.count { tables[t].remove(slot, from: layout.substring(hash, t)) }
        let last = UInt32(keys.count - 1)
        if slot != last {
            // Move the last hash into the freed slot and renumber it in its buckets.
            let moved = hashes[Int(last)]
            for t in 0..<tables.count { tables[t].renumber(last, to: slot, in: layout.substring(moved, t)) }
            hashes[Int(slot)] = moved
            keys[Int(slot)] = keys[Int(last)]
        }
        hashes.removeLast()
        keys.removeLast()
        return true
    }

    /// The slot of a stored pair, found through its bucket in the first table.
    private func slot(of hash: PDQHash, _ key: Key) -> UInt32? {
        tables.isEmpty ? nil : tables[0].slots(in: layout.substring(hash, 0)).first { hashes[Int($0)] == hash && keys[Int($0)] == key }
    }

    /// Every stored hash within `radius` of `query`, with its distance, nearest first.
    public func search(_ query: PDQHash, radius: Int) -> [(key: Key, distance: Int)] {
        guard radius >= 0, !keys.isEmpty else { return [] }
        var hits: [(slot: UInt32, distance: Int)] = []
        let (q0, q1, q2, q3) = query.words
        let cost = layout.searchCost(radius: radius, count: keys.count)
        hashes.withUnsafeBufferPointer { h in
            @inline(__always) func check(_ slot: UInt32) {
                let w = h[Int(slot)].words
                let d = (w.0 ^ q0).nonzeroBitCount + (w.1 ^ q1).nonzeroBitCount
                    + (w.2 ^ q2).nonzeroBitCount + (w.3 ^ q3).nonzeroBitCount
                if d <= radius { hits.append((slot, d)) }
            }
            if cost >= Double(keys.count) {
                for slot in 0..<UInt32(keys.count) { check(slot) }
                return
            }
            // In three passes, each a run of independent memory reads that the processor can
            // overlap (rather than one chain of dependent cache misses per probe): the heads of
            // the probed buckets, then the slots in those buckets, then the candidates' hashes.
            var runs: [UInt64] = []
            var candidates: [UInt32] = []
            candidates.reserveCapacity(Int(cost))
            for t in 0..<layout.tableCount {
                let k = layout.probeRadius(table: t, radius: radius)
                guard k >= 0 else { continue }
                let sub = layout.substring(query, t)
                tables[t].heads.withUnsafeBufferPointer { heads in
                    SubstringLayout.forEachMask(width: layout.widths[t], within: k) { mask in
                        let head = heads[sub ^ mask]
                        if SlotBuckets.count(head) != 0 { runs.append(head) }
                    }
                }
                tables[t].arena.withUnsafeBufferPointer { arena in
                    for head in runs {
                        let base = SlotBuckets.offset(head)
                        for i in base..<base + SlotBuckets.count(head) { candidates.append(arena[i]) }
                    }
                }
                runs.removeAll(keepingCapacity: true)
            }
            for slot in candidates { check(slot) }
        }
        // A hash within `radius` can show up in several tables, so hits (only hits: candidates
        // that fail the distance check cost a popcount and nothing else) are deduplicated.
        hits.sort { ($0.distance, $0.slot) < ($1.distance, $1.slot) }
        var out: [(key: Key, distance: Int)] = []
        out.reserveCapacity(hits.count)
        var previous = UInt32.max
        // Equal slots have equal distances, so duplicates are adjacent after the sort.
        for hit in hits where hit.slot != previous {
            previous = hit.slot
            out.append((keys[Int(hit.slot)], hit.distance))
        }
        return out
    }
}

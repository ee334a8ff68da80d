/// Stored PDQ hashes with exact radius search: every hash within the distance is returned
/// (recall 1.0 by construction). Hashes live in one flat array of words, with no object per hash;
/// additions and removals are incremental (a removal moves the last hash into the freed slot).
///
/// This is a linear scan: exact and simple, the reference that faster indexes are tested against.
public struct PDQIndex<Key: Hashable & Sendable>: Sendable {
    private var words: [UInt64] = []
    private var keys: [Key] = []
    private var slots: [Key: Int] = [:]

    public init() {}

    public var count: Int { keys.count }

    /// Adds or replaces the hash stored under `key`.
    public mutating func insert(_ hash: PDQHash, for key: Key) {
        if let slot = slots[key] {
            write(hash, at: slot)
            return
        }
        slots[key] = keys.count
        keys.append(key)
        words.append(contentsOf: [hash.words.0, hash.words.1, hash.words.2, hash.words.3])
    }

    /// Removes the hash stored under `key`, if any.
    public mutating func remove(_ key: Key) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        let last = keys.count - 1
        if slot != last {
            keys[slot] = keys[last]
            slots[keys[slot]] = slot
            for i in 0..<4 { words[slot * 4 + i] = words[last * 4 + i] }
        }
        keys.removeLast()
        words.removeLast(4)
    }

    /// Every stored hash within `radius` of `query`, with its distance, nearest first.
    public func search(_ query: PDQHash, radius: Int) -> [(key: Key, distance: Int)] {
        var out: [(key: Key, distance: Int)] = []
        let (q0, q1, q2, q3) = query.words
        words.withUnsafeBufferPointer { w in
            for slot in 0..<keys.count {
                let b = slot * 4
                let d = (w[b] ^ q0).nonzeroBitCount + (w[b + 1] ^ q1).nonzeroBitCount
                    + (w[b + 2] ^ q2).nonzeroBitCount + (w[b + 3] ^ q3).nonzeroBitCount
                if d <= radius { out.append((keys[slot], d)) }
            }
        }
        return out.sorted { $0.distance < $1.distance }
    }

    private mutating func write(_ hash: PDQHash, at slot: Int) {
        words[slot * 4] = hash.words.0
        words[slot * 4 + 1] = hash.words.1
        words[slot * 4 + 2] = hash.words.2
        words[slot * 4 + 3] = hash.words.3
    }
}

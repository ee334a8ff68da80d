/// Seeded mutations of byte strings: the strategies of libFuzzer's default mutator that matter
/// for parsers (bit flips, interesting bytes and integers, truncation, insertion, deletion,
/// duplication, splicing with another input, dictionary tokens), replayable from the seed.
public struct Mutator {
    private var rng: SplitMix64
    private let dictionary: [[UInt8]]

    public init(seed: UInt64, dictionary: [[UInt8]] = []) {
        rng = SplitMix64(seed: seed)
        self.dictionary = dictionary
    }

    /// A random index below `n` (n > 0).
    public mutating func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    /// `input` changed by one to eight mutations; `other` is what a splice takes from.
    public mutating func mutate(_ input: [UInt8], splicingWith other: [UInt8], maxBytes: Int) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + below(8)) { step(&b, other: other) }
        if b.count > maxBytes { b.removeSubrange(maxBytes...) }
        return b
    }

    private mutating func step(_ b: inout [UInt8], other: [UInt8]) {
        let choice = below(dictionary.isEmpty ? 10 : 12)
        if b.isEmpty, choice < 10 {
            b = Array(other.prefix(1 + below(max(1, other.count))))
            return
        }
        let at = b.isEmpty ? 0 : below(b.count)
        switch choice {
        case 0: b[at] ^= UInt8(1 << below(8))
        case 1: b[at] = UInt8(truncatingIfNeeded: rng.next())
        case 2: b[at] = [0, 1, 0x7F, 0x80, 0xFF, 0x20, 0x22, 0x5C][below(8)]
        case 3:  // an interesting big-endian integer over 2, 4 or 8 bytes: lengths and counts live there
            let width = [2, 4, 8][below(3)]
            let value: UInt64 = [0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFF, UInt64.max, UInt64(b.count)][below(10)]
            for k in 0..<width where at + k < b.count { b[at + k] = UInt8(truncatingIfNeeded: value >> UInt64(8 * (width - 1 - k))) }
        case 4: b.removeSubrange(at...)
        case 5: b.removeSubrange(at..<min(b.count, at + 1 + below(32)))
        case 6: b.insert(contentsOf: (0..<(1 + below(16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
        case 7:  // duplicate a run: repeated fields, nesting, long lines
            let end = min(b.count, at + 1 + below(64))
            b.insert(contentsOf: b[at..<end], at: end)
        case 8, 9:  // splice: a piece of another valid input at a random place
            guard !other.isEmpty else { return }
            let from = below(other.count)
            let piece = other[from..<min(other.count, from + 1 + below(128))]
            if choice == 8 { b.insert(contentsOf: piece, at: at) } else { b.replaceSubrange(at..<min(b.count, at + piece.count), with: piece) }
        default:  // a dictionary token, inserted or written over
            let token = dictionary[below(dictionary.count)]
            if choice == 10 { b.insert(contentsOf: token, at: at) } else { b.replaceSubrange(at..<min(b.count, at + token.count), with: token) }
        }
    }
}

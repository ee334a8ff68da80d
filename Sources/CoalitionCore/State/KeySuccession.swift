import CoalitionCrypto

/// Which key speaks for a member after its key rotations: a pure value built from the rotation
/// entries a node holds (`Protocol/SPEC.md` §13.9).
///
/// A rotation entry, signed by the old key and countersigned by the new one, retires the old key
/// and names its successor. Keys form lines of succession: a configured member `A` that rotated
/// to `A'`, which rotated to `A''`, is spoken for by `A''` alone. A key that signed two different
/// rotations is **contested**: neither successor is followed, because one of them was made by
/// whoever else holds the key (see docs/key-rotation.md). An admin settles it by configuring
/// the right successor as a member.
public struct KeySuccession: Sendable, Hashable {
    /// Each rotated key's successors: one, or several when the key is contested.
    public private(set) var successors: [PublicKey: Set<PublicKey>] = [:]
    /// The uncontested predecessor of each successor.
    private var predecessor: [PublicKey: PublicKey] = [:]

    /// An empty succession: no key has rotated.
    public init() {}

    /// A succession from rotation pairs (author, successor), in any order.
    public init(_ pairs: some Sequence<(author: PublicKey, successor: PublicKey)>) {
        for p in pairs { insert(author: p.author, successor: p.successor) }
    }

    /// Records a rotation.
    /// - Returns: whether it was new.
    @discardableResult
    public mutating func insert(author: PublicKey, successor: PublicKey) -> Bool {
        guard successors[author, default: []].insert(successor).inserted else { return false }
        rebuildPredecessors()
        return true
    }

    /// Adds every rotation of `other`.
    /// - Returns: whether anything was new.
    @discardableResult
    public mutating func formUnion(_ other: KeySuccession) -> Bool {
        var changed = false
        for (a, succs) in other.successors {
            for s in succs where successors[a, default: []].insert(s).inserted { changed = true }
        }
        if changed { rebuildPredecessors() }
        return changed
    }

    private mutating func rebuildPredecessors() {
        predecessor = [:]
        for (a, succs) in successors where succs.count == 1 { predecessor[succs.first!] = a }
    }

    /// Every rotation as (author, successor) pairs, sorted.
    public var pairs: [(author: PublicKey, successor: PublicKey)] {
        successors.flatMap { a, succs in succs.map { (author: a, successor: $0) } }.sorted { ($0.author, $0.successor) < ($1.author, $1.successor) }
    }

    /// Whether `key` has signed a rotation: it may no longer author entries or connect.
    public func isRetired(_ key: PublicKey) -> Bool { successors[key] != nil }

    /// Whether `key` signed more than one rotation.
    public func isContested(_ key: PublicKey) -> Bool { (successors[key]?.count ?? 0) > 1 }

    /// The contested keys, sorted.
    public var contested: [PublicKey] { successors.filter { $0.value.count > 1 }.keys.sorted() }

    /// The key that now speaks for `key`: its uncontested successors followed to the end. A
    /// contested key is its own end (it is retired, so nothing speaks for it).
    public func current(of key: PublicKey) -> PublicKey {
        var k = key
        var seen: Set<PublicKey> = [k]
        while let succs = successors[k], succs.count == 1, let next = succs.first, seen.insert(next).inserted { k = next }
        return k
    }

    /// The keys `key` succeeded, nearest first.
    public func ancestors(of key: PublicKey) -> [PublicKey] {
        var out: [PublicKey] = []
        var k = key
        var seen: Set<PublicKey> = [k]
        while let p = predecessor[k], seen.insert(p).inserted {
            out.append(p)
            k = p
        }
        return out
    }

    /// `roots` and every key descending from one of them through uncontested rotations.
    public func lineage(of roots: some Sequence<PublicKey>) -> Set<PublicKey> {
        var out: Set<PublicKey> = []
        for root in roots {
            var k = root
            out.insert(k)
            while let succs = successors[k], succs.count == 1, let next = succs.first, out.insert(next).inserted { k = next }
        }
        return out
    }

    /// The key among `roots` that `key` is or descends from, if any.
    public func root(of key: PublicKey, in roots: Set<PublicKey>) -> PublicKey? {
        if roots.contains(key) { return key }
        return ancestors(of: key).first(where: roots.contains)
    }
}

extension KeySuccession {
    /// The rotations proven by encoded rotation entries, oldest first, that lead to `key`: each
    /// entry must verify (signature and successor countersignature), be a rotation, be authored
    /// by the previous entry's successor, and the last must name `key`.
    /// - Returns: the rotations and the first entry's author (the key a verifier must already
    ///   accept), or nil when the proof is empty or fails any check.
    public static func proven(by entries: [[UInt8]], endingAt key: PublicKey) -> (rotations: KeySuccession, from: PublicKey)? {
        var out = KeySuccession()
        var first: PublicKey?
        var expectedAuthor: PublicKey?
        for bytes in entries {
            guard let entry = try? Entry(decoding: bytes), entry.bodyType == BodyType.keyRotation,
                  case .keyRotation(let rotation)? = try? entry.validateIntrinsic() else { return nil }
            if let expectedAuthor, entry.author != expectedAuthor { return nil }
            first = first ?? entry.author
            out.insert(author: entry.author, successor: rotation.successor)
            expectedAuthor = rotation.successor
        }
        guard let first, expectedAuthor == key else { return nil }
        return (out, first)
    }
}

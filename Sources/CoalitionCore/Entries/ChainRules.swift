import CoalitionCrypto

/// What validity needs to know about an entry's predecessor.
public struct ChainLink: Hashable, Sendable {
    public let id: EntryID
    public let author: PublicKey
    public let seq: UInt64
    public let timestamp: Int64
    public let bodyType: UInt16

    public init(id: EntryID, author: PublicKey, seq: UInt64, timestamp: Int64, bodyType: UInt16) {
        self.id = id; self.author = author; self.seq = seq; self.timestamp = timestamp; self.bodyType = bodyType
    }

    /// The link facts of an entry.
    public init(_ e: Entry) {
        self.init(id: e.id, author: e.author, seq: e.seq, timestamp: e.timestamp, bodyType: e.bodyType)
    }
}

/// The validity rules that need the predecessor (`Protocol/SPEC.md` §7.2).
public enum ChainRules {
    /// Checks that `entry` continues `prev` (the entry whose ID is `entry.prev`).
    /// - Throws: `brokenChain` naming the rule that fails.
    public static func checkLink(_ entry: Entry, to prev: ChainLink) throws(CoalitionError) {
        guard prev.id == entry.prev else {
            throw CoalitionError(.brokenChain, "the previous hash does not match", field: "prev")
        }
        guard prev.author == entry.author else {
            throw CoalitionError(.brokenChain, "the previous entry has another author", field: "prev")
        }
        guard prev.seq &+ 1 == entry.seq else {
            throw CoalitionError(.brokenChain, "sequence \(entry.seq) does not follow \(prev.seq)", field: "seq")
        }
        guard entry.timestamp >= prev.timestamp else {
            throw CoalitionError(.brokenChain, "the timestamp goes backwards from its predecessor", field: "timestamp")
        }
        guard prev.bodyType != BodyType.keyRotation else {
            throw CoalitionError(.brokenChain, "the chain was closed by a key rotation at sequence \(prev.seq)", field: "prev")
        }
    }
}

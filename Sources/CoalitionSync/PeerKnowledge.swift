import CoalitionCrypto

/// What one peer is known to hold: per author, the highest seq it announced, sent us, or was
/// sent. Pushes skip entries at or below it, which drops most duplicates before they are sent.
public struct PeerKnowledge: Sendable {
    private var seqs: [PublicKey: UInt64] = [:]

    public init() {}

    /// The highest seq of `author` the peer holds, as far as this node knows.
    public func seq(of author: PublicKey) -> UInt64 { seqs[author] ?? 0 }

    /// Whether the peer may lack this entry.
    public func mayLack(author: PublicKey, seq: UInt64) -> Bool { seq > self.seq(of: author) }

    /// Records that the peer holds `author` up to `seq`.
    public mutating func note(author: PublicKey, seq: UInt64) {
        if seq > self.seq(of: author) { seqs[author] = seq }
    }

    /// Replaces what is known with a fresh digest's view (the peer may have lost data).
    public mutating func reset(to peerSeqs: [PublicKey: UInt64]) {
        seqs = peerSeqs
    }

    /// How many entries of `local` heads the peer lacks.
    public func behind(local: [LocalHead]) -> UInt64 {
        local.reduce(0) { $0 + ($1.seq > seq(of: $1.author) ? $1.seq - seq(of: $1.author) : 0) }
    }
}

import CoalitionCore
import CoalitionCrypto

/// What a session asks a peer for when received entries wait as pending (§13.8): for each author,
/// the run after this node's head, or, on a fork below the head, the missing predecessor itself.
/// Remembers what it asked, so a request is not repeated while its answer is on the way.
public struct GapRequests: Sendable {
    /// Per author, the highest seq asked for and not yet received.
    public private(set) var outstanding: [PublicKey: UInt64] = [:]

    public init() {}

    /// One `rangeRequest` to send.
    public struct Request: Sendable, Equatable {
        public let author: PublicKey
        public let from: UInt64
        public let to: UInt64
    }

    /// The requests for the gaps a commit left: per author, the head now held and the highest
    /// seq waiting as pending.
    public mutating func requests(for gaps: [PublicKey: (head: UInt64, waiting: UInt64)]) -> [Request] {
        var out: [Request] = []
        for (author, gap) in gaps.sorted(by: { $0.key < $1.key }) {
            if let asked = outstanding[author], gap.head >= asked { outstanding[author] = nil }
            let from = gap.head + 1 < gap.waiting ? gap.head + 1 : gap.waiting - 1
            let to = gap.waiting - 1
            guard from >= 1, to >= from, outstanding[author, default: 0] < to else { continue }
            outstanding[author] = to
            out.append(Request(author: author, from: from, to: to))
        }
        return out
    }
}

import CoalitionCore
import CoalitionCrypto

/// The compact heads digest a node sends on connect and periodically (§13.4): per author, an
/// 8-byte prefix of its key, its head seq and an 8-byte prefix of its head entry's ID.
///
/// Prefixes keep the digest small enough that two nodes in sync exchange under 1 KiB for 20
/// authors. A prefix only steers what is *sent*; every entry is still verified in full, so a
/// prefix collision can cost extra bytes but never lets a wrong entry in.
public struct HeadsSummary: Sendable, Equatable {
    /// One author's line.
    public struct Author: Sendable, Equatable {
        public var authorPrefix: UInt64
        public var seq: UInt64
        public var headPrefix: UInt64
        /// Present only for an author the sender knows to equivocate: how many of its entries
        /// the sender holds (heads alone cannot tell two nodes' branches apart).
        public var equivocatingCount: UInt64?

        public init(authorPrefix: UInt64, seq: UInt64, headPrefix: UInt64, equivocatingCount: UInt64? = nil) {
            self.authorPrefix = authorPrefix
            self.seq = seq
            self.headPrefix = headPrefix
            self.equivocatingCount = equivocatingCount
        }
    }

    /// True when the sender also wants the receiver's heads (used by anti-entropy after a queue
    /// overflow, and by a node that wants to know what its peer lacks).
    public var replyRequested: Bool
    public var authors: [Author]

    public init(replyRequested: Bool = false, authors: [Author]) {
        self.replyRequested = replyRequested
        self.authors = authors
    }

    /// The summary of local heads.
    public init(local heads: [LocalHead], replyRequested: Bool = false) {
        self.replyRequested = replyRequested
        self.authors = heads.map {
            Author(authorPrefix: Self.prefix($0.author.bytes), seq: $0.seq, headPrefix: Self.prefix($0.head.bytes),
                   equivocatingCount: $0.equivocating ? UInt64($0.entryCount) : nil)
        }
    }

    /// The first 8 bytes of a key or an ID, big-endian.
    public static func prefix(_ bytes: [UInt8]) -> UInt64 {
        var v: UInt64 = 0
        for b in bytes.prefix(8) { v = v << 8 | UInt64(b) }
        return v
    }

    func encode(into w: inout WireWriter) {
        w.u8(replyRequested ? 1 : 0)
        w.varint(UInt64(authors.count))
        for a in authors {
            w.u64(a.authorPrefix)
            w.varint(a.seq)
            w.u64(a.headPrefix)
            if let n = a.equivocatingCount {
                w.u8(1)
                w.varint(n)
            } else {
                w.u8(0)
            }
        }
    }

    init(decoding r: inout WireReader) throws(WireError) {
        let flags = try r.u8("heads.flags")
        replyRequested = flags & 1 != 0
        let n = try r.count("heads.count", limit: WireLimits.maxAuthorsPerHeads, minItemBytes: 18)
        authors = []
        authors.reserveCapacity(n)
        for _ in 0..<n {
            let author = try r.u64("heads.author")
            let seq = try r.varint("heads.seq")
            let head = try r.u64("heads.head")
            let flags = try r.u8("heads.authorFlags")
            let count = flags & 1 != 0 ? try r.varint("heads.count") : nil
            authors.append(Author(authorPrefix: author, seq: seq, headPrefix: head, equivocatingCount: count))
        }
    }
}

/// One author's head as this node holds it: the input of the heads digest and of sync planning.
public struct LocalHead: Sendable, Equatable {
    public var author: PublicKey
    public var seq: UInt64
    public var head: EntryID
    public var entryCount: Int
    public var equivocating: Bool

    public init(author: PublicKey, seq: UInt64, head: EntryID, entryCount: Int, equivocating: Bool) {
        self.author = author
        self.seq = seq
        self.head = head
        self.entryCount = entryCount
        self.equivocating = equivocating
    }
}

import CoalitionCore
import CoalitionCrypto

/// One gossip message (`Protocol/SPEC.md` §13.3). A frame is `length (u32) ‖ type (u8) ‖ payload`,
/// where `length` counts the type byte and the payload.
public enum WireMessage: Sendable, Equatable {
    /// The first message on a connection, in both directions.
    case hello(Hello)
    /// What the sender holds, per author: "send me what I lack".
    case heads(HeadsSummary)
    /// Complete entries (§3), in per-author seq order.
    case entries([[UInt8]])
    /// "Send me every entry of `author` with `from ≤ seq ≤ to`" (all branches of a fork).
    case rangeRequest(author: PublicKey, from: UInt64, to: UInt64)
    /// Two valid entries by one author with the same seq: proof that the author equivocates.
    case forkProof([UInt8], [UInt8])
    /// A keep-alive; `reply` asks the peer to echo `nonce`.
    case keepAlive(nonce: UInt64, reply: Bool)
    /// The sender is closing the connection, and why.
    case goodbye(WireError.Code, String)
    /// A message type this node does not know; ignored so that newer nodes can talk to older ones.
    case unknown(type: UInt8, payload: [UInt8])

    /// The message type numbers.
    public enum Kind: UInt8, Sendable, CaseIterable {
        case hello = 1, heads = 2, entries = 3, rangeRequest = 4, forkProof = 5, keepAlive = 6, goodbye = 7
    }

    /// The versioned greeting.
    public struct Hello: Sendable, Equatable {
        /// The protocol version this document describes.
        public static let currentVersion: UInt16 = 1
        public var version: UInt16
        /// Capability flags (§13.3); unknown bits are ignored.
        public var capabilities: Capabilities
        /// The sender's member key; must equal the key its TLS certificate carries.
        public var member: PublicKey
        /// The largest frame the sender accepts.
        public var maxFrameBytes: UInt32

        public init(version: UInt16 = Hello.currentVersion, capabilities: Capabilities = .all, member: PublicKey,
                    maxFrameBytes: UInt32 = UInt32(WireLimits.maxFrameBytes)) {
            self.version = version
            self.capabilities = capabilities
            self.member = member
            self.maxFrameBytes = maxFrameBytes
        }
    }

    /// Optional protocol features a node announces in hello.
    public struct Capabilities: OptionSet, Sendable, Equatable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        /// The node sends and accepts `forkProof`.
        public static let forkProofs = Capabilities(rawValue: 1 << 0)
        /// The node answers `rangeRequest`.
        public static let rangeRequests = Capabilities(rawValue: 1 << 1)
        public static let all: Capabilities = [.forkProofs, .rangeRequests]
    }

    public var kind: Kind? {
        switch self {
        case .hello: .hello
        case .heads: .heads
        case .entries: .entries
        case .rangeRequest: .rangeRequest
        case .forkProof: .forkProof
        case .keepAlive: .keepAlive
        case .goodbye: .goodbye
        case .unknown: nil
        }
    }

    /// The type byte.
    public var typeByte: UInt8 {
        if case .unknown(let t, _) = self { return t }
        return kind!.rawValue
    }

    /// The payload (the frame without its length and type).
    public func payload() -> [UInt8] {
        var w = WireWriter()
        switch self {
        case .hello(let h):
            w.u16(h.version)
            w.u64(h.capabilities.rawValue)
            w.raw(h.member.bytes)
            w.u32(h.maxFrameBytes)
        case .heads(let s):
            s.encode(into: &w)
        case .entries(let list):
            w.varint(UInt64(list.count))
            for e in list { w.lengthPrefixed(e) }
        case .rangeRequest(let author, let from, let to):
            w.raw(author.bytes)
            w.varint(from)
            w.varint(to)
        case .forkProof(let a, let b):
            w.lengthPrefixed(a)
            w.lengthPrefixed(b)
        case .keepAlive(let nonce, let reply):
            w.u64(nonce)
            w.u8(reply ? 1 : 0)
        case .goodbye(let code, let reason):
            w.u16(code.rawValue)
            w.lengthPrefixed(Array(Self.clippedReason(reason).utf8))
        case .unknown(_, let payload):
            w.raw(payload)
        }
        return w.bytes
    }

    /// The complete frame: length, type and payload.
    public func frame() -> [UInt8] {
        let p = payload()
        var w = WireWriter(capacity: p.count + 5)
        w.u32(UInt32(p.count + 1))
        w.u8(typeByte)
        w.raw(p)
        return w.bytes
    }

    /// The frame's size in bytes, as counted on the wire (before TLS).
    public var frameByteCount: Int { payload().count + 5 }

    /// A goodbye reason as it travels: whole characters, at most ``WireLimits/maxReasonBytes``
    /// bytes of UTF-8. Cutting bytes could split a character, and invalid bytes received decode
    /// as U+FFFD (3 bytes each), so both sides clip whole scalars: a decoded goodbye re-encodes
    /// to the same message (found by the `wire` fuzz target).
    static func clippedReason(_ reason: String) -> String {
        guard reason.utf8.count > WireLimits.maxReasonBytes else { return reason }
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        for scalar in reason.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= WireLimits.maxReasonBytes else { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// Decodes a frame's type and payload.
    /// - Throws: ``WireError`` (`truncated` or `malformed`); an unknown type is not an error.
    public init(type: UInt8, payload: [UInt8]) throws(WireError) {
        guard let kind = Kind(rawValue: type) else {
            self = .unknown(type: type, payload: payload)
            return
        }
        var r = WireReader(payload)
        switch kind {
        case .hello:
            let version = try r.u16("hello.version")
            let caps = Capabilities(rawValue: try r.u64("hello.capabilities"))
            let key = try r.raw(32, "hello.member")
            let maxFrame = try r.u32("hello.maxFrameBytes")
            // A later version may append fields to hello; they are ignored.
            self = .hello(Hello(version: version, capabilities: caps, member: try! PublicKey(bytes: key), maxFrameBytes: maxFrame))
            return
        case .heads:
            self = .heads(try HeadsSummary(decoding: &r))
        case .entries:
            let n = try r.count("entries.count", limit: WireLimits.maxEntriesPerFrame, minItemBytes: 1 + Entry.headerByteCount + 64)
            var list: [[UInt8]] = []
            list.reserveCapacity(n)
            for _ in 0..<n { list.append(try r.lengthPrefixed("entries.entry", limit: Limits.maxEntryBytes)) }
            self = .entries(list)
        case .rangeRequest:
            let author = try r.raw(32, "rangeRequest.author")
            let from = try r.varint("rangeRequest.from")
            let to = try r.varint("rangeRequest.to")
            guard from >= 1, from <= to else { throw WireError(.malformed, "rangeRequest: range \(from)…\(to) is empty or starts below 1") }
            self = .rangeRequest(author: try! PublicKey(bytes: author), from: from, to: to)
        case .forkProof:
            let a = try r.lengthPrefixed("forkProof.first", limit: Limits.maxEntryBytes)
            let b = try r.lengthPrefixed("forkProof.second", limit: Limits.maxEntryBytes)
            self = .forkProof(a, b)
        case .keepAlive:
            let nonce = try r.u64("keepAlive.nonce")
            let flags = try r.u8("keepAlive.flags")
            self = .keepAlive(nonce: nonce, reply: flags & 1 != 0)
        case .goodbye:
            let code = WireError.Code(rawValue: try r.u16("goodbye.code"))
            let reason = try r.lengthPrefixed("goodbye.reason", limit: WireLimits.maxReasonBytes)
            self = .goodbye(code, Self.clippedReason(String(decoding: reason, as: UTF8.self)))
        }
        guard r.isAtEnd else { throw WireError(.malformed, "\(kind): \(r.remaining) trailing bytes") }
    }
}

/// Size limits of the gossip protocol, version 1.
public enum WireLimits {
    /// The largest frame (type byte and payload) a node accepts by default: 4 MiB.
    public static let maxFrameBytes = 4 * 1024 * 1024
    /// The smallest frame limit a node may announce: one maximal entry must fit.
    public static let minFrameBytes = 128 * 1024
    /// Entries in one `entries` frame.
    public static let maxEntriesPerFrame = 65_536
    /// Authors in one `heads` message.
    public static let maxAuthorsPerHeads = 100_000
    /// A goodbye reason.
    public static let maxReasonBytes = 256
    /// The target size of an `entries` frame a node sends: large enough to amortise the framing,
    /// small enough to interleave pushes with a long sync.
    public static let batchTargetBytes = 256 * 1024
    /// Entries of one author a node serves for one `rangeRequest`; a larger request is served
    /// up to this many (the peer asks again for the rest).
    public static let maxServedRange: UInt64 = 100_000
}

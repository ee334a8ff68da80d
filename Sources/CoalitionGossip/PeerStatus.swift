/// What `coalition status` shows for one peer.
public struct PeerStatus: Sendable, Codable, Equatable {
    /// The peer's member ID.
    public var id: String
    public var name: String
    /// The configured address, if this node dials it.
    public var address: String?
    public var connected: Bool
    /// "inbound" or "outbound" while connected.
    public var direction: String?
    /// Milliseconds since the epoch of the last completed heads exchange.
    public var lastSync: Int64?
    /// Entries this node holds that the peer is not known to hold.
    public var behind: UInt64
    /// Entries the peer announced that this node does not hold yet.
    public var ahead: UInt64
    /// Frame bytes (protocol messages, before TLS).
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    /// Socket bytes: TLS records and handshake included.
    public var tlsBytesIn: UInt64 = 0
    public var tlsBytesOut: UInt64 = 0
    /// Range requests sent (each one a further round trip).
    public var rangeRequests: UInt64 = 0
    public var entriesIn: UInt64
    public var entriesOut: UInt64
    /// The last error on a connection with this peer.
    public var lastError: String?
    /// Pushes dropped because the peer's queue was full (it then fell back to digest sync).
    public var queueOverflows: UInt64

    public init(id: String, name: String, address: String?) {
        self.id = id
        self.name = name
        self.address = address
        self.connected = false
        self.behind = 0
        self.ahead = 0
        self.bytesIn = 0
        self.bytesOut = 0
        self.entriesIn = 0
        self.entriesOut = 0
        self.queueOverflows = 0
    }
}

/// Counters of what the node refused or deferred, by reason.
public struct GossipCounters: Sendable, Codable, Equatable {
    /// Entries by authors that are not accepted members: not stored, not relayed.
    public var notAMember: UInt64 = 0
    /// Entries beyond an author's ingest quota: deferred to a later sync.
    public var quotaDeferred: UInt64 = 0
    /// Pending entries dropped beyond the per-author cap.
    public var pendingDropped: UInt64 = 0
    /// Connections refused during TLS (unknown key, not Ed25519, no certificate).
    public var refusedConnections: UInt64 = 0
    /// Connections closed for a protocol violation (bad entry, oversized frame, bad hello…).
    public var protocolViolations: UInt64 = 0
    /// The same, by goodbye code (`invalid-entry`, `frame-too-large`, `identity-mismatch`…).
    public var violationsByCode: [String: UInt64] = [:]
    /// Frames of unknown types ignored.
    public var unknownMessages: UInt64 = 0
    /// Entries received that were already held.
    public var duplicates: UInt64 = 0
    /// Entries received from peers and stored.
    public var applied: UInt64 = 0

    public init() {}
}

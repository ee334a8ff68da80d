/// What alerting needs to know about one peer, read from the gossip service's status.
public struct PeerHealth: Sendable, Equatable {
    /// The peer's member ID and display name.
    public var id: String
    public var name: String
    public var connected: Bool
    /// Entries this node holds that the peer is not known to hold.
    public var behind: UInt64
    public var lastError: String?

    public init(id: String, name: String, connected: Bool, behind: UInt64, lastError: String? = nil) {
        self.id = id; self.name = name; self.connected = connected; self.behind = behind; self.lastError = lastError
    }
}

/// Turns successive readings of peer health into events, as a pure value: `peer.down` when a
/// connected peer is no longer connected, and `peer.lagging` once per crossing of each
/// threshold (a peer that stays behind is reported once, again only after it caught up).
public struct PeerWatch: Sendable {
    private var connected: [String: Bool] = [:]
    /// The thresholds a peer is currently past, per peer.
    private var lagging: [String: Set<UInt64>] = [:]

    public init() {}

    /// What changed since the last reading.
    /// - Parameter thresholds: the `lagEntries` of the rules that watch lagging peers.
    public mutating func observe(_ peers: [PeerHealth], thresholds: Set<UInt64>) -> [(type: AlertEvent.EventType, peer: PeerHealth, threshold: UInt64?)] {
        var out: [(AlertEvent.EventType, PeerHealth, UInt64?)] = []
        for p in peers {
            if connected[p.id] == true, !p.connected { out.append((.peerDown, p, nil)) }
            connected[p.id] = p.connected
            var past = lagging[p.id] ?? []
            for t in thresholds.sorted() {
                if p.behind > t {
                    if past.insert(t).inserted { out.append((.peerLagging, p, t)) }
                } else {
                    past.remove(t)
                }
            }
            lagging[p.id] = past
        }
        return out
    }
}

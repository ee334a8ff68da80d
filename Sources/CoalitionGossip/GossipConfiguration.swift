import CoalitionCrypto
import CoalitionSync

/// How the gossip layer runs: where it listens, whom it dials, and its timers and limits.
/// Built by the node from `coalition.yaml`.
public struct GossipConfiguration: Sendable {
    /// A peer to dial.
    public struct Peer: Sendable, Equatable {
        public var key: PublicKey
        public var host: String
        public var port: Int
        public init(key: PublicKey, host: String, port: Int) {
            self.key = key
            self.host = host
            self.port = port
        }
    }

    public var listenHost: String
    /// 0 picks a free port (tests).
    public var listenPort: Int
    public var peers: [Peer]
    /// Seconds between periodic heads exchanges.
    public var antiEntropyInterval: Double = 30
    /// Seconds between keep-alives; a peer silent for three intervals is dropped.
    public var keepAliveInterval: Double = 15
    /// The per-peer outbound queue limit in bytes.
    public var peerQueueBytes = 8 * 1024 * 1024
    /// The reconnection backoff cap in seconds.
    public var reconnectMaxSeconds: Double = 60
    /// The largest frame accepted.
    public var maxFrameBytes = WireLimits.maxFrameBytes
    /// The per-author ingest quota.
    public var quotaPerMinute = 60_000
    public var quotaBurst = 2_000_000
    /// Entries held pending per author at most.
    public var pendingPerAuthor = 10_000
    /// Seconds a TLS handshake and hello may take.
    public var handshakeTimeout: Double = 10

    public init(listenHost: String, listenPort: Int, peers: [Peer] = []) {
        self.listenHost = listenHost
        self.listenPort = listenPort
        self.peers = peers
    }
}

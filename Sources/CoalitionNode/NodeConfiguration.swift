import CoalitionAlert
import CoalitionCore
import Foundation
import Yams

/// The node's configuration file (`coalition.yaml` in the data directory).
///
/// `coalition init` writes a commented file; the node reads it with Yams. Unknown keys are
/// ignored so that a newer file does not stop an older node. Relative paths are resolved
/// against the data directory.
public struct NodeConfiguration: Codable, Sendable, Equatable {
    /// The platform's display name, shown to other members.
    public var name: String
    /// The secret key file (mode 0600).
    public var keyFile: String = "member.key"
    /// The SQLite database file.
    public var database: String = "coalition.sqlite"
    /// Members this node accepts entries from, besides itself. Empty means every valid author
    /// is accepted (single-node or trial use).
    public var members: [Member] = []

    /// The gossip listener, `host:port` (IPv6 in brackets). Peers connect here with mutual TLS.
    public var listen: String = "0.0.0.0:7420"
    /// Nodes this node dials. Each must also be listed in `members`.
    public var peers: [Peer] = []
    /// Gossip timers and limits.
    public var gossip = Gossip()
    /// Ingest limits per author.
    public var quota = Quota()
    /// The HTTP query API.
    public var api = API()
    /// Alert rules and webhook delivery.
    public var alerts = Alerts()

    /// Alerting: rules kept in this file, and how webhooks are delivered. Endpoints (with their
    /// secrets) are added with `coalition webhooks add`, never written here.
    public struct Alerts: Codable, Sendable, Equatable {
        /// Rules read from this file, besides those added with `coalition rules add` or the API.
        public var rules: [AlertRule] = []
        /// Seconds one delivery attempt may take.
        public var timeoutSeconds: Double = 10
        /// The first retry's delay, and the longest delay between retries (exponential with jitter).
        public var initialBackoffSeconds: Double = 1
        public var maxBackoffSeconds: Double = 300
        /// Hours after which an undelivered message is marked dead.
        public var giveUpAfterHours: Double = 24
        /// Messages waiting per endpoint; events beyond it are dropped and counted.
        public var maxBacklog: Int = 100_000
        /// Hours that delivered and dead messages stay listed in `GET /v1/deliveries`.
        public var retainHours: Double = 24
        /// The PDQ distance within which a content-bank item matches an arriving signal.
        public var retroHuntDistance: Int = 31
        public init() {}
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Alerts()
            rules = try c.decodeIfPresent([AlertRule].self, forKey: .rules) ?? d.rules
            timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? d.timeoutSeconds
            initialBackoffSeconds = try c.decodeIfPresent(Double.self, forKey: .initialBackoffSeconds) ?? d.initialBackoffSeconds
            maxBackoffSeconds = try c.decodeIfPresent(Double.self, forKey: .maxBackoffSeconds) ?? d.maxBackoffSeconds
            giveUpAfterHours = try c.decodeIfPresent(Double.self, forKey: .giveUpAfterHours) ?? d.giveUpAfterHours
            maxBacklog = try c.decodeIfPresent(Int.self, forKey: .maxBacklog) ?? d.maxBacklog
            retainHours = try c.decodeIfPresent(Double.self, forKey: .retainHours) ?? d.retainHours
            retroHuntDistance = try c.decodeIfPresent(Int.self, forKey: .retroHuntDistance) ?? d.retroHuntDistance
        }

        /// The delivery policy these settings describe.
        public var policy: DeliveryPolicy {
            var p = DeliveryPolicy()
            p.timeoutSeconds = timeoutSeconds
            p.initialBackoffSeconds = initialBackoffSeconds
            p.maxBackoffSeconds = maxBackoffSeconds
            p.giveUpAfterSeconds = giveUpAfterHours * 3600
            p.maxBacklog = maxBacklog
            p.retainSeconds = retainHours * 3600
            return p
        }
    }

    /// The HTTP API for the platform's internal systems; every key is optional in the file.
    public struct API: Codable, Sendable, Equatable {
        /// host:port; 127.0.0.1 by default, so only this host reaches it. Empty disables the API.
        public var listen: String = "127.0.0.1:7421"
        /// Requests a second per token, and the burst above that.
        public var requestsPerSecond: Double = 1000
        public var burst: Double = 2000
        /// PEM certificate chain and private key (0600) to serve HTTPS; both empty means plain HTTP.
        public var tlsCertificate: String = ""
        public var tlsKey: String = ""
        /// Seconds before an idle keep-alive connection is closed.
        public var idleTimeoutSeconds: Double = 60
        /// Seconds a new connection has to send a complete request head; slower ones are closed.
        public var headerTimeoutSeconds: Double = 10
        /// Seconds one request may take (uploads get mediaTimeoutSeconds on top, the event
        /// stream no limit); 503 problem+json beyond.
        public var requestTimeoutSeconds: Double = 30
        /// The largest upload to `POST /v1/hash` and `/v1/lookup/media`, in MiB (held in memory,
        /// never stored).
        public var maxUploadMib: Int = 64
        /// Seconds that decoding and hashing one upload may take.
        public var mediaTimeoutSeconds: Double = 30
        /// Uploads read or hashed at once; more get 503 with Retry-After.
        public var maxConcurrentUploads: Int = 4
        public init() {}
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = API()
            listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? d.listen
            requestsPerSecond = try c.decodeIfPresent(Double.self, forKey: .requestsPerSecond) ?? d.requestsPerSecond
            burst = try c.decodeIfPresent(Double.self, forKey: .burst) ?? d.burst
            tlsCertificate = try c.decodeIfPresent(String.self, forKey: .tlsCertificate) ?? d.tlsCertificate
            tlsKey = try c.decodeIfPresent(String.self, forKey: .tlsKey) ?? d.tlsKey
            idleTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .idleTimeoutSeconds) ?? d.idleTimeoutSeconds
            headerTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .headerTimeoutSeconds) ?? d.headerTimeoutSeconds
            requestTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .requestTimeoutSeconds) ?? d.requestTimeoutSeconds
            maxUploadMib = try c.decodeIfPresent(Int.self, forKey: .maxUploadMib) ?? d.maxUploadMib
            mediaTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .mediaTimeoutSeconds) ?? d.mediaTimeoutSeconds
            maxConcurrentUploads = try c.decodeIfPresent(Int.self, forKey: .maxConcurrentUploads) ?? d.maxConcurrentUploads
        }
    }

    /// A node to dial: its member ID and address.
    public struct Peer: Codable, Sendable, Equatable {
        public var id: String
        public var address: String
        public init(id: String, address: String) { self.id = id; self.address = address }
    }

    /// Gossip settings; every key is optional in the file.
    public struct Gossip: Codable, Sendable, Equatable {
        public var antiEntropySeconds: Double = 30
        public var keepAliveSeconds: Double = 15
        public var peerQueueBytes: Int = 8 * 1024 * 1024
        public var reconnectMaxSeconds: Double = 60
        public init() {}
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Gossip()
            antiEntropySeconds = try c.decodeIfPresent(Double.self, forKey: .antiEntropySeconds) ?? d.antiEntropySeconds
            keepAliveSeconds = try c.decodeIfPresent(Double.self, forKey: .keepAliveSeconds) ?? d.keepAliveSeconds
            peerQueueBytes = try c.decodeIfPresent(Int.self, forKey: .peerQueueBytes) ?? d.peerQueueBytes
            reconnectMaxSeconds = try c.decodeIfPresent(Double.self, forKey: .reconnectMaxSeconds) ?? d.reconnectMaxSeconds
        }
    }

    /// Per-author ingest limits; every key is optional in the file.
    public struct Quota: Codable, Sendable, Equatable {
        public var entriesPerAuthorPerMinute: Int = 60_000
        public var burst: Int = 2_000_000
        public var pendingPerAuthor: Int = 10_000
        public init() {}
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Quota()
            entriesPerAuthorPerMinute = try c.decodeIfPresent(Int.self, forKey: .entriesPerAuthorPerMinute) ?? d.entriesPerAuthorPerMinute
            burst = try c.decodeIfPresent(Int.self, forKey: .burst) ?? d.burst
            pendingPerAuthor = try c.decodeIfPresent(Int.self, forKey: .pendingPerAuthor) ?? d.pendingPerAuthor
        }
    }

    /// A member of the coalition: its member ID and display name.
    public struct Member: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public init(id: String, name: String) { self.id = id; self.name = name }
    }

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey { case name, keyFile, database, members, listen, peers, gossip, quota, api, alerts }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile) ?? "member.key"
        database = try c.decodeIfPresent(String.self, forKey: .database) ?? "coalition.sqlite"
        members = try c.decodeIfPresent([Member].self, forKey: .members) ?? []
        listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? "0.0.0.0:7420"
        peers = try c.decodeIfPresent([Peer].self, forKey: .peers) ?? []
        gossip = try c.decodeIfPresent(Gossip.self, forKey: .gossip) ?? Gossip()
        quota = try c.decodeIfPresent(Quota.self, forKey: .quota) ?? Quota()
        api = try c.decodeIfPresent(API.self, forKey: .api) ?? API()
        alerts = try c.decodeIfPresent(Alerts.self, forKey: .alerts) ?? Alerts()
    }

    /// Parses YAML text.
    /// - Throws: `CoalitionError(.configuration)` with the parser's message.
    public static func parse(_ yaml: String, path: String) throws(CoalitionError) -> NodeConfiguration {
        do {
            let config = try YAMLDecoder().decode(NodeConfiguration.self, from: yaml)
            guard !config.name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw CoalitionError(.configuration, "\(path): 'name' must not be empty", field: "name")
            }
            for m in config.members {
                do { _ = try MemberID(parsing: m.id) } catch {
                    throw CoalitionError(.configuration, "\(path): member '\(m.name)': \(error.message)", field: "members", underlying: error)
                }
            }
            do { _ = try HostPort(parsing: config.listen) } catch {
                throw CoalitionError(.configuration, "\(path): listen: \(error.message)", field: "listen", underlying: error)
            }
            for p in config.peers {
                let id: MemberID
                do { id = try MemberID(parsing: p.id) } catch {
                    throw CoalitionError(.configuration, "\(path): peer \(p.address): \(error.message)", field: "peers", underlying: error)
                }
                do { _ = try HostPort(parsing: p.address) } catch {
                    throw CoalitionError(.configuration, "\(path): peer \(id.short): \(error.message)", field: "peers", underlying: error)
                }
                guard config.members.contains(where: { (try? MemberID(parsing: $0.id)) == id }) else {
                    throw CoalitionError(.configuration, "\(path): peer \(id.short) at \(p.address) is not in 'members'; add it with 'coalition members add'", field: "peers")
                }
            }
            guard config.gossip.antiEntropySeconds > 0, config.gossip.keepAliveSeconds > 0, config.gossip.peerQueueBytes >= 65_536,
                  config.gossip.reconnectMaxSeconds > 0 else {
                throw CoalitionError(.configuration, "\(path): gossip: intervals must be positive and peerQueueBytes at least 65536", field: "gossip")
            }
            if !config.api.listen.isEmpty {
                do { _ = try HostPort(parsing: config.api.listen) } catch {
                    throw CoalitionError(.configuration, "\(path): api.listen: \(error.message)", field: "api", underlying: error)
                }
            }
            guard config.api.tlsCertificate.isEmpty == config.api.tlsKey.isEmpty else {
                throw CoalitionError(.configuration, "\(path): api: set both tlsCertificate and tlsKey, or neither", field: "api")
            }
            guard config.api.requestsPerSecond > 0, config.api.burst >= 1, config.api.idleTimeoutSeconds > 0,
                  config.api.headerTimeoutSeconds > 0, config.api.requestTimeoutSeconds > 0 else {
                throw CoalitionError(.configuration, "\(path): api: requestsPerSecond, burst, idleTimeoutSeconds, headerTimeoutSeconds and requestTimeoutSeconds must be positive", field: "api")
            }
            guard (1...4096).contains(config.api.maxUploadMib), config.api.mediaTimeoutSeconds > 0, config.api.mediaTimeoutSeconds <= 86_400,
                  (1...1024).contains(config.api.maxConcurrentUploads) else {
                throw CoalitionError(.configuration, "\(path): api: maxUploadMib must be 1–4096, mediaTimeoutSeconds 0–86400 (not 0), maxConcurrentUploads 1–1024", field: "api")
            }
            guard config.quota.entriesPerAuthorPerMinute > 0, config.quota.burst > 0, config.quota.pendingPerAuthor >= 0 else {
                throw CoalitionError(.configuration, "\(path): quota: values must be positive", field: "quota")
            }
            let a = config.alerts
            guard a.timeoutSeconds > 0, a.initialBackoffSeconds > 0, a.maxBackoffSeconds >= a.initialBackoffSeconds, a.giveUpAfterHours > 0,
                  a.maxBacklog >= 1, a.retainHours >= 0, (0...128).contains(a.retroHuntDistance) else {
                throw CoalitionError(.configuration, "\(path): alerts: timeouts and backoffs must be positive (maxBackoffSeconds ≥ initialBackoffSeconds), maxBacklog at least 1, retroHuntDistance 0–128", field: "alerts")
            }
            var names = Set<String>()
            for r in a.rules {
                do { try r.validate() } catch {
                    throw CoalitionError(.configuration, "\(path): alerts.rules: rule '\(r.name)': \(error.message)", field: "alerts", underlying: error)
                }
                guard names.insert(r.name).inserted else {
                    throw CoalitionError(.configuration, "\(path): alerts.rules: two rules are named '\(r.name)'", field: "alerts")
                }
            }
            return config
        } catch let e as CoalitionError {
            throw e
        } catch {
            throw CoalitionError(.configuration, "\(path) is not a valid configuration: \(error)", underlying: error)
        }
    }

    /// The commented file `coalition init` writes.
    public func renderCommented(memberID: MemberID) -> String {
        """
        # Coalition node configuration.
        # Written by `coalition init`; edit freely. Relative paths are resolved against the
        # directory that holds this file. Unknown keys are ignored.

        # This platform's display name, shown to other members.
        name: \(Self.quoted(name))

        # This node's member ID (derived from the key file; shown here for reference only):
        #   \(memberID)

        # The Ed25519 secret key. It must be mode 0600; the node refuses a looser file.
        keyFile: \(Self.quoted(keyFile))

        # The SQLite database (WAL mode) holding every signed entry and the merged state.
        database: \(Self.quoted(database))

        # The gossip listener (host:port). Open this TCP port to your peers' platforms only;
        # connections are mutual TLS 1.3, pinned to member keys.
        listen: \(Self.quoted(listen))

        # Members whose entries this node accepts, besides itself. Only members may connect.
        # Leave empty to accept every valid author (trials only). Edit with 'coalition members'.
        members: \(members.isEmpty ? "[]" : "")
        \(members.map { "  - id: \($0.id)\n    name: \(Self.quoted($0.name))" }.joined(separator: "\n"))

        # Nodes this node dials (each must be a member). Edit with 'coalition peers'.
        peers: \(peers.isEmpty ? "[]" : "")
        \(peers.map { "  - id: \($0.id)\n    address: \(Self.quoted($0.address))" }.joined(separator: "\n"))

        gossip:
          # Seconds between periodic heads exchanges (anti-entropy).
          antiEntropySeconds: \(Self.number(gossip.antiEntropySeconds))
          # Seconds between keep-alives; a peer silent for three intervals is dropped.
          keepAliveSeconds: \(Self.number(gossip.keepAliveSeconds))
          # Per-peer outbound queue; a slower peer falls back to digest sync.
          peerQueueBytes: \(gossip.peerQueueBytes)
          # Reconnection backoff cap (exponential with jitter).
          reconnectMaxSeconds: \(Self.number(gossip.reconnectMaxSeconds))

        quota:
          # Per-author ingest quota (token bucket); entries beyond it are deferred and counted.
          entriesPerAuthorPerMinute: \(quota.entriesPerAuthorPerMinute)
          burst: \(quota.burst)
          # Entries held while waiting for a missing predecessor, per author.
          pendingPerAuthor: \(quota.pendingPerAuthor)

        api:
          # The HTTP query API (host:port) for this platform's internal systems. Keep it on
          # 127.0.0.1 or an internal network; "" disables it. Tokens: 'coalition tokens create'.
          listen: \(Self.quoted(api.listen))
          # Per-token rate limit: requests a second, and the burst above that (429 beyond).
          requestsPerSecond: \(Self.number(api.requestsPerSecond))
          burst: \(Self.number(api.burst))
          # HTTPS: a PEM certificate chain and its private key (mode 0600). Empty: plain HTTP.
          tlsCertificate: \(Self.quoted(api.tlsCertificate))
          tlsKey: \(Self.quoted(api.tlsKey))
          # Seconds before an idle keep-alive connection is closed.
          idleTimeoutSeconds: \(Self.number(api.idleTimeoutSeconds))
          # Seconds a new connection has to send a complete request head (slow senders are cut off).
          headerTimeoutSeconds: \(Self.number(api.headerTimeoutSeconds))
          # Seconds one request may take (503 beyond); uploads get mediaTimeoutSeconds on top.
          requestTimeoutSeconds: \(Self.number(api.requestTimeoutSeconds))
          # Media uploads (POST /v1/hash, /v1/lookup/media): the largest, in MiB; the seconds
          # that decoding and hashing one may take; how many are handled at once (503 beyond).
          # Uploads are hashed in memory, never stored and never logged.
          maxUploadMib: \(api.maxUploadMib)
          mediaTimeoutSeconds: \(Self.number(api.mediaTimeoutSeconds))
          maxConcurrentUploads: \(api.maxConcurrentUploads)

        alerts:
          # Rules that send events (signal.published, signal.retracted, signal.disputed,
          # signal.confirmed, verdict.changed, equivocation.detected, peer.down, peer.lagging,
          # retro.match) to a webhook endpoint added with 'coalition webhooks add'. For example:
          #   - name: crisis
          #     events: [signal.published]
          #     minSeverity: critical
          #     destination: oncall
          # Rules can also be added with 'coalition rules add' or POST /v1/rules.
          rules: []
          # Seconds one delivery may take; retries back off from initialBackoffSeconds to
          # maxBackoffSeconds (exponential, with jitter); after giveUpAfterHours a message is dead.
          timeoutSeconds: \(Self.number(alerts.timeoutSeconds))
          initialBackoffSeconds: \(Self.number(alerts.initialBackoffSeconds))
          maxBackoffSeconds: \(Self.number(alerts.maxBackoffSeconds))
          giveUpAfterHours: \(Self.number(alerts.giveUpAfterHours))
          # Messages waiting per endpoint; beyond it, events are dropped and counted.
          maxBacklog: \(alerts.maxBacklog)
          # Hours that delivered and dead messages stay listed in 'coalition webhooks deliveries'.
          retainHours: \(Self.number(alerts.retainHours))
          # PDQ distance within which registered content matches an arriving signal (retro-hunt).
          retroHuntDistance: \(alerts.retroHuntDistance)

        """
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

import CoalitionActions
import CoalitionAlert
import CoalitionAPI
import CoalitionDashboard
import CoalitionCore
import CoalitionCrypto
import CoalitionGossip
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import CoalitionQuery
import CoalitionStore
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// A running node: the gossip service, the admin socket and reload on SIGHUP, built from a data
/// directory. `coalition run` puts ``services`` in a `ServiceGroup`; the demo and the tests run
/// several daemons in one group.
public final class NodeDaemon: Sendable {
    public let directory: NodeDirectory
    public let gossip: GossipService
    let admin: AdminSocketService
    /// The HTTP API, unless `api.listen` is empty.
    let api: (any Service)?
    /// Loads the API's match indexes at start, when the API is enabled.
    let warmUp: IndexWarmUp?
    let logger: Logger
    /// This process's claim on the data directory, held while the daemon lives.
    let lock: NodeLock
    /// The configuration as last (re)loaded.
    private let current: NIOLockedValueBox<NodeConfiguration>
    /// Alerting: events of the change log queued in the outbox, and the webhook deliverers.
    public let alerts: AlertEngine
    let deliverer: WebhookDeliverer
    public let outbox: OutboxStore
    public let bank: ContentBank
    /// The query layer the API and the dashboard read through.
    public let query: QueryService

    /// - Throws: `CoalitionError(.configuration)` for an unusable configuration, or when another
    ///   node is already running on the directory (``NodeLock``).
    public init(directory: NodeDirectory, logger: Logger) throws {
        lock = try NodeLock.acquire(directory: directory.path)
        // Waits on an event loop stall its connections, or never return: debug builds trap.
        BlockingWait.forbid { MultiThreadedEventLoopGroup.currentEventLoop != nil }
        self.directory = directory
        self.logger = logger
        self.current = NIOLockedValueBox(directory.configuration)
        let config = directory.configuration
        let gossipConfig = try Self.gossipConfiguration(config)
        let identity = try TLSIdentity(signer: directory.signer, name: config.name, rotationProof: try directory.rotationProof())
        let registry = MemberRegistry(selfKey: directory.signer.publicKey, members: Self.memberMap(config),
                                      succession: KeySuccession(try directory.store.keyRotations()))
        gossip = GossipService(wiring: directory.store, configuration: gossipConfig, identity: identity, members: registry, logger: logger)
        let socket = directory.path + "/" + AdminSocketService.fileName
        let holder = WeakGossip()
        let acceptFailures = gossip.acceptFailures
        admin = AdminSocketService(path: socket, logger: logger, acceptFailures: acceptFailures) { command in
            await holder.daemon?.handle(command) ?? "{\"error\":\"node not ready\"}"
        }
        let store = directory.store
        let query = QueryService(store: store, names: { directory.displayName(of: $0) })
        self.query = query
        outbox = OutboxStore(database: store.database)
        bank = ContentBank(store: ContentBankStore(database: store.database))
        let wakeup = Wakeup()
        let current = self.current
        let gossipForPeers = gossip
        alerts = AlertEngine(
            store: store, outbox: outbox, builder: EventBuilder(query: query, bank: bank, pdqDistance: config.alerts.retroHuntDistance),
            configuration: { Self.alertConfiguration(current.withLockedValue { $0 }) },
            peers: {
                guard let (peers, _) = try? await gossipForPeers.status() else { return nil }
                return peers.map { PeerHealth(id: $0.id, name: $0.name, connected: $0.connected, behind: $0.behind, lastError: $0.lastError) }
            },
            wakeup: wakeup, logger: logger)
        deliverer = WebhookDeliverer(outbox: outbox, client: try WebhookClient(), policy: { current.withLockedValue { $0 }.alerts.policy },
                                     wakeup: wakeup, logger: logger)
        if config.api.listen.isEmpty {
            api = nil
            warmUp = nil
        } else {
            let address = try HostPort(parsing: config.api.listen)
            var apiConfig = APIConfiguration()
            apiConfig.host = address.host
            apiConfig.port = address.port
            apiConfig.requestsPerSecond = config.api.requestsPerSecond
            apiConfig.burst = config.api.burst
            apiConfig.maxUploadBytes = config.api.maxUploadMib << 20
            apiConfig.maxConcurrentUploads = config.api.maxConcurrentUploads
            apiConfig.requestTimeoutSeconds = config.api.requestTimeoutSeconds
            apiConfig.mediaLimits.timeout = .milliseconds(Int64(config.api.mediaTimeoutSeconds * 1000))
            let gossip = self.gossip
            let outbox = self.outbox
            var env = APIEnvironment(
                store: directory.store, tokens: TokenStore(database: directory.store.database), names: { directory.displayName(of: $0) },
                query: query,
                actions: APIActions(bank: bank, outbox: outbox, configRules: { current.withLockedValue { $0 }.alerts.rules }),
                publisher: NodePublisher(directory: directory, pushed: { gossip.entriesApplied() }),
                status: { await holder.daemon?.statusJSON() ?? Array("{}".utf8) },
                metrics: APIMetrics(snapshot: { await holder.daemon?.metricSamples() ?? [] }))
            env.identity = { (directory.memberID.description, directory.store.readers.map(\.publicKey)) }
            warmUp = IndexWarmUp(env: env, logger: logger)
            let http1 = HTTPServerBuilder.coalitionAPI(headerTimeout: .milliseconds(Int64(config.api.headerTimeoutSeconds * 1000)),
                                                       idleTimeout: .milliseconds(Int64(config.api.idleTimeoutSeconds * 1000)), logger: logger)
            let server = try Self.apiServer(http1, config: config.api, directory: directory.path)
            let budget = gossip.connectionBudget
            api = buildApplication(env, configuration: apiConfig, server: server, onServerRunning: { [logger] channel in
                // Hummingbird builds the listener; the overload guard goes in once it is bound.
                do {
                    // Made on the channel's loop: a handler is not Sendable.
                    try await channel.eventLoop.submit {
                        try channel.pipeline.syncOperations.addHandler(
                            AcceptOverloadHandler(listener: "HTTP API", logger: logger, failures: acceptFailures, budget: budget), position: .first)
                    }.get()
                } catch {
                    logger.warning("the HTTP API listener runs without its accept-overload guard: \(error)")
                }
            }, logger: logger, more: { router in
                let membership = DaemonMembership(directory: directory, current: current, reload: { [holder] in
                    guard let daemon = holder.daemon else { throw CoalitionError(.unavailable, "the node is stopping") }
                    return try daemon.reload()
                })
                let dashboard = DashboardEnvironment(
                    api: env, nodeName: config.name, nodeID: directory.memberID.description,
                    peers: { try? await gossip.status().0 }, membership: membership, secureCookies: !config.api.tlsCertificate.isEmpty,
                    logger: logger)
                let ui = Dashboard(env: dashboard)
                ui.addRoutes(to: router)
                ui.warmUp()
            })
        }
        holder.daemon = self
    }

    /// The services to run, in start order (storage is already open): gossip, then the admin
    /// socket, then the SIGHUP watcher.
    public var services: [any Service] {
        [gossip] + (api.map { [$0] } ?? []) + (warmUp.map { [$0] } ?? [])
            + [alerts, deliverer, admin, HangupReloader(daemon: self), ForeignWriteWatcher(directory: directory, logger: logger),
               UsageFlusher(query: query, logger: logger)]
    }

    /// Re-reads `coalition.yaml` and applies peers and members without a restart.
    /// - Returns: a one-line summary.
    /// - Throws: `CoalitionError(.configuration)`; the running configuration is then kept.
    @discardableResult
    public func reload() throws -> String {
        let path = directory.path + "/" + NodeDirectory.configFileName
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CoalitionError(.configuration, "cannot read \(path)")
        }
        let config = try NodeConfiguration.parse(text, path: path)
        let g = try Self.gossipConfiguration(config)
        gossip.reload(peers: g.peers, members: Self.memberMap(config))
        current.withLockedValue { $0 = config }
        return "reloaded: \(config.members.count) members, \(config.peers.count) peers"
    }

    /// What the alert engine runs with, from a configuration.
    static func alertConfiguration(_ config: NodeConfiguration) -> AlertConfiguration {
        var a = AlertConfiguration()
        a.rules = config.alerts.rules.map { r in
            var r = r
            r.source = "config"
            return r
        }
        a.policy = config.alerts.policy
        a.pdqDistance = config.alerts.retroHuntDistance
        return a
    }

    /// Rotates this node's member key while it runs (`coalition key rotate`): the rotation
    /// entry is stored and pushed to the connected peers, then gossip takes the new identity and
    /// reconnects with it; its certificate carries the rotation entries for peers that missed them.
    /// - Returns: what was rotated.
    /// - Throws: `CoalitionError` from ``NodeDirectory/rotateKey(logger:)``; the key is then unchanged
    ///   unless the error came after the entry was stored (the node then finishes it at restart).
    public func rotateKey() async throws -> NodeDirectory.Rotation {
        let successor = Signer()
        gossip.expectOwnRotation(to: successor.publicKey)
        let (rotation, next) = try await NIOThreadPool.singleton.runIfActive { [directory, logger] in
            try directory.rotateKey(to: successor, logger: logger)
        }
        gossip.entriesApplied()
        // Give the push a moment to leave before the connections close; peers that miss it
        // learn the rotation from the new certificate's proof.
        try? await Task.sleep(for: .milliseconds(300))
        let proof = try await NIOThreadPool.singleton.runIfActive { [directory] in try directory.rotationProof() }
        try gossip.adopt(try TLSIdentity(signer: next, name: directory.configuration.name, rotationProof: proof))
        return rotation
    }

    func handle(_ command: String) async -> String {
        switch command {
        case "rotate-key":
            do {
                let r = try await rotateKey()
                return Self.json(["ok": true, "oldID": r.oldID, "newID": r.newID, "entryID": r.entryID] as [String: any Sendable])
            } catch {
                logger.error("key rotation failed: \(error)")
                return Self.json(["ok": false, "error": "\(error)"] as [String: any Sendable])
            }
        case "ping":
            return "{\"ok\":true}"
        case "poke":
            // The CLI wrote to the store: relay its entries at once (the broadcaster reads them
            // from the table), then let the feed's other subscribers see them, off this path.
            gossip.entriesApplied()
            let store = directory.store
            Task { _ = try? await NIOThreadPool.singleton.runIfActive { try store.feed.catchUp() } }
            return "{\"ok\":true}"
        case "reload":
            do {
                let summary = try reload()
                return Self.json(["ok": true, "message": summary] as [String: any Sendable])
            } catch {
                logger.error("reload failed; keeping the running configuration: \(error)")
                return Self.json(["ok": false, "error": "\(error)"] as [String: any Sendable])
            }
        case "status":
            return String(decoding: await statusJSON(), as: UTF8.self)
        default:
            return Self.json(["ok": false, "error": "unknown command '\(command)'; expected status, reload, poke or rotate-key"] as [String: any Sendable])
        }
    }

    /// What `coalition status` prints.
    public struct StatusReport: Codable, Sendable {
        public var name: String
        public var memberID: String
        public var listen: String
        public var entries: Int
        public var pending: Int
        public var authors: Int
        public var stateDigest: String
        /// Member IDs of authors flagged as equivocators (two entries at one seq).
        public var equivocators: [String]
        /// The accepted members (from the configuration).
        public var members: [NodeConfiguration.Member]
        /// Signals (active or not) per kind and per top-level category.
        public var signalsByKind: [String: Int]
        public var signalsByCategory: [String: Int]
        public var peers: [PeerStatus]
        public var counters: GossipCounters
        /// Webhook delivery per endpoint: backlog, delivered, dead, dropped and the last error.
        public var deliveries: [EndpointDeliveries]?
        /// Items registered in the content bank, per kind.
        public var contentBank: [String: Int]?
    }

    /// The status report as JSON (admin socket and `GET /v1/status`).
    func statusJSON() async -> [UInt8] {
        do {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            return Array(try enc.encode(try await statusReport()))
        } catch {
            return Array(Self.json(["ok": false, "error": "\(error)"] as [String: any Sendable]).utf8)
        }
    }

    /// Scrape-time values for `GET /metrics`: store size, gossip counters and peer states.
    func metricSamples() async -> [APIMetrics.Sample] {
        var out: [APIMetrics.Sample] = []
        if let stats = try? directory.store.statistics() {
            out.append(.init("coalition_store_entries", [], Double(stats.entries)))
            out.append(.init("coalition_store_pending_entries", [], Double(stats.pending)))
            out.append(.init("coalition_store_authors", [], Double(stats.authors)))
            out.append(.init("coalition_store_active_signals", [], Double(stats.activeSignals)))
            for (kind, n) in stats.signalsByKind { out.append(.init("coalition_store_signals", [("kind", kind)], Double(n))) }
        }
        if let deliveries = try? outbox.deliveries() {
            let live = deliverer.counters
            for d in deliveries {
                let labels = [("endpoint", d.endpoint)]
                out.append(.init("coalition_webhook_pending", labels, Double(d.pending)))
                out.append(.init("coalition_webhook_delivered", labels, Double(d.delivered)))
                out.append(.init("coalition_webhook_dead", labels, Double(d.dead)))
                out.append(.init("coalition_webhook_dropped", labels, Double(d.dropped)))
                out.append(.init("coalition_webhook_oldest_pending_seconds", labels,
                                 d.oldestPendingAt.map { Double(Int64.nowMillis - $0) / 1000 } ?? 0))
                let c = live[d.endpoint] ?? WebhookDeliverer.Counters()
                out.append(.init("coalition_webhook_attempts", labels, Double(c.attempts)))
                out.append(.init("coalition_webhook_failed_attempts", labels, Double(c.failed)))
            }
        }
        let engine = alerts.snapshot
        for (type, n) in engine.events { out.append(.init("coalition_alert_events", [("type", type)], Double(n))) }
        out.append(.init("coalition_alert_messages_queued", [], Double(engine.queued)))
        out.append(.init("coalition_alert_messages_dropped", [], Double(engine.dropped)))
        out.append(.init("coalition_content_bank_pdq_items", [], Double(bank.pdqCount)))
        if let (peers, c) = try? await gossip.status() {
            out.append(.init("coalition_gossip_entries_applied", [], Double(c.applied)))
            out.append(.init("coalition_gossip_duplicates", [], Double(c.duplicates)))
            for (reason, n) in [("not_a_member", c.notAMember), ("quota_deferred", c.quotaDeferred), ("pending_dropped", c.pendingDropped)] {
                out.append(.init("coalition_gossip_entries_refused", [("reason", reason)], Double(n)))
            }
            for (code, n) in c.violationsByCode { out.append(.init("coalition_gossip_protocol_violations", [("code", code)], Double(n))) }
            out.append(.init("coalition_gossip_refused_connections", [], Double(c.refusedConnections)))
            out.append(.init("coalition_accept_failures", [], Double(gossip.acceptFailures.withLockedValue { $0 })))
            out.append(.init("coalition_gossip_unknown_messages", [], Double(c.unknownMessages)))
            for p in peers {
                let labels = [("peer", p.id), ("name", p.name)]
                out.append(.init("coalition_peer_connected", labels, p.connected ? 1 : 0))
                out.append(.init("coalition_peer_behind_entries", labels, Double(p.behind)))
                out.append(.init("coalition_peer_bytes_in", labels, Double(p.bytesIn)))
                out.append(.init("coalition_peer_bytes_out", labels, Double(p.bytesOut)))
            }
        }
        return out
    }

    public func statusReport() async throws -> StatusReport {
        let (peers, counters) = try await gossip.status()
        let stats = try directory.store.statistics()
        let port = (try? await gossip.listeningPort()) ?? 0
        let host = (try? HostPort(parsing: directory.configuration.listen))?.host ?? "?"
        return StatusReport(name: directory.configuration.name, memberID: directory.memberID.description,
                            listen: HostPort(host: host, port: port).description, entries: stats.entries, pending: stats.pending,
                            authors: stats.authors, stateDigest: Hex.encode(try directory.store.stateDigest()),
                            equivocators: try directory.store.heads().filter(\.equivocating).map { MemberID(publicKey: $0.author).description },
                            members: current.withLockedValue { $0.members }, signalsByKind: stats.signalsByKind, signalsByCategory: stats.signalsByCategory,
                            peers: peers, counters: counters, deliveries: try outbox.deliveries(), contentBank: try bank.store.counts())
    }

    /// Plain HTTP, or HTTPS with the configured certificate and key (the key must be 0600).
    static func apiServer(_ http1: HTTPServerBuilder, config: NodeConfiguration.API, directory: String) throws -> HTTPServerBuilder {
        guard !config.tlsCertificate.isEmpty else { return http1 }
        let certPath = NodeDirectory.resolve(config.tlsCertificate, in: directory)
        let keyPath = NodeDirectory.resolve(config.tlsKey, in: directory)
        try KeyFile.checkPermissions(keyPath)
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certPath).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            tls.minimumTLSVersion = .tlsv12
            return try .tls(http1, tlsConfiguration: tls)
        } catch {
            throw CoalitionError(.configuration, "api TLS: cannot load \(certPath) and \(keyPath): \(error)", underlying: error)
        }
    }

    static func memberMap(_ config: NodeConfiguration) -> [PublicKey: String] {
        var out: [PublicKey: String] = [:]
        for m in config.members { if let id = try? MemberID(parsing: m.id) { out[id.publicKey] = m.name } }
        return out
    }

    static func gossipConfiguration(_ config: NodeConfiguration) throws -> GossipConfiguration {
        let listen = try HostPort(parsing: config.listen)
        var peers: [GossipConfiguration.Peer] = []
        for p in config.peers {
            let id = try MemberID(parsing: p.id)
            let address = try HostPort(parsing: p.address)
            peers.append(.init(key: id.publicKey, host: address.host, port: address.port))
        }
        var g = GossipConfiguration(listenHost: listen.host, listenPort: listen.port, peers: peers)
        g.antiEntropyInterval = config.gossip.antiEntropySeconds
        g.keepAliveInterval = config.gossip.keepAliveSeconds
        g.peerQueueBytes = config.gossip.peerQueueBytes
        g.reconnectMaxSeconds = config.gossip.reconnectMaxSeconds
        g.quotaPerMinute = config.quota.entriesPerAuthorPerMinute
        g.quotaBurst = config.quota.burst
        g.pendingPerAuthor = config.quota.pendingPerAuthor
        return g
    }

    static func json(_ object: [String: any Sendable]) -> String {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension HostPort {
    init(host: String, port: Int) {
        self = try! HostPort(parsing: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
    }
}

/// Breaks the init-time cycle between the daemon and its admin handler.
private final class WeakGossip: @unchecked Sendable {
    weak var daemon: NodeDaemon?
}

extension NodeDaemon {
    /// Makes SwiftNIO's event loops Swift Concurrency's global executor, so that API handlers run
    /// on the thread that owns their connection instead of hopping to Dispatch's pool and back.
    /// Call once, from the main thread, before the daemon starts. Blocking work must then stay off
    /// the handlers' path: store writes of gossip and the index load run on thread pools.
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}

/// Loads the API's match indexes when the node starts, off the cooperative thread pool (it is
/// seconds of CPU and reads with millions of signals stored), logs what it loaded and how long
/// it took, then applies every commit to them in the background until shutdown, so that no
/// request waits for changes to be applied. `/readyz` answers 503 until the load is done.
struct IndexWarmUp: Service {
    let env: APIEnvironment
    let logger: Logger

    func run() async throws {
        do {
            let summary = try await NIOThreadPool.singleton.runIfActive { [env] in try env.loadIndexes() }
            logger.info("\(summary)")
        } catch {
            logger.error("loading the match indexes failed (they load on the next request instead): \(error)")
        }
        let query = env.query
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await query.followChanges() }
            } catch is CancellationError {
                return
            } catch {
                guard !Task.isShuttingDownGracefully else { return }
                // The requests then apply the changes themselves until the follower is back.
                logger.warning("applying changes to the match indexes failed; retrying in 1 s: \(error)")
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
    }
}

/// Moves the query layer's lookup and match counts into the store every 10 s and at shutdown,
/// for the transparency report's local part. A failed flush keeps the counts for the next one.
struct UsageFlusher: Service {
    let query: QueryService
    let logger: Logger

    func run() async throws {
        let query = self.query
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(10)) }
            do {
                try await NIOThreadPool.singleton.runIfActive { try query.usage.flush(to: query.store) }
            } catch {
                logger.warning("recording lookup counts failed; keeping them for the next try: \(error)")
            }
        }
    }
}

/// Notices entries that another process (the CLI) wrote to the store, twice a second, so the
/// commit feed's subscribers (match indexes, `/v1/stream`) see them even when the CLI could not
/// reach the admin socket to say so.
struct ForeignWriteWatcher: Service {
    let directory: NodeDirectory
    let logger: Logger

    func run() async throws {
        let store = directory.store
        var failing = false
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                _ = try await NIOThreadPool.singleton.runIfActive { try store.feed.catchUp() }
                failing = false
            } catch {
                if !failing { logger.warning("cannot read the store for changes written by other processes: \(error)") }
                failing = true
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(500)) }
        }
    }
}

/// Reloads the configuration on SIGHUP, the conventional signal for it (`systemctl reload`).
struct HangupReloader: Service {
    let daemon: NodeDaemon

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                let summary = try daemon.reload()
                daemon.logger.info("SIGHUP: \(summary)")
            } catch {
                daemon.logger.error("SIGHUP: reload failed; keeping the running configuration: \(error)")
            }
        }
    }
}

import CoalitionAlert
import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// What alerting needs to run: rules from the configuration, the delivery policy, and the
/// retro-hunt distance.
public struct AlertConfiguration: Sendable, Equatable {
    /// Rules read from `coalition.yaml` (rules added with the CLI or the API are in the store).
    public var rules: [AlertRule] = []
    public var policy = DeliveryPolicy()
    /// The PDQ distance within which a content-bank item matches an arriving signal.
    public var pdqDistance = 31
    /// How often peers' health is read for `peer.down` and `peer.lagging`.
    public var peerCheckSeconds: Double = 1

    public init() {}
}

/// Queues the events of every commit for the endpoints whose rules match them.
///
/// It follows the change log (the `entry` table, written in the same transaction as each
/// commit) from the cursor saved in the outbox, builds each change's events, checks each
/// arriving signal against the content bank, and writes the matched messages and the new
/// cursor in one transaction. Killed at any point, it resumes from the last cursor saved and
/// rebuilds the same events with the same IDs; messages already queued are skipped. So every
/// committed change is queued at least once, and in practice exactly once.
///
/// It also reads the peers' health every ``AlertConfiguration/peerCheckSeconds`` and queues
/// `peer.down` and `peer.lagging` events.
public final class AlertEngine: Service, Sendable {
    let store: EntryStore
    let outbox: OutboxStore
    let builder: EventBuilder
    let configuration: @Sendable () -> AlertConfiguration
    let peers: (@Sendable () async -> [PeerHealth]?)?
    let wakeup: Wakeup
    let logger: Logger
    private let counters = Mutex(Counters())

    /// What the engine did since the node started (`/metrics`).
    public struct Counters: Sendable, Equatable {
        public var events: [String: Int] = [:]
        public var queued = 0
        public var dropped = 0
        public var retroMatches = 0
        public var cursor: Int64 = 0
    }

    /// - Parameters:
    ///   - configuration: read for every page of changes, so a reload applies at once.
    ///   - peers: the peers' health now, or nil while it cannot be read.
    ///   - wakeup: rung after messages are queued, for the deliverers.
    public init(store: EntryStore, outbox: OutboxStore, builder: EventBuilder, configuration: @escaping @Sendable () -> AlertConfiguration,
                peers: (@Sendable () async -> [PeerHealth]?)?, wakeup: Wakeup, logger: Logger) {
        self.store = store
        self.outbox = outbox
        self.builder = builder
        self.configuration = configuration
        self.peers = peers
        self.wakeup = wakeup
        self.logger = logger
    }

    public var snapshot: Counters { counters.withLock { $0 } }

    public func run() async throws {
        if let bank = builder.bank {
            let started = ContinuousClock.now
            let n = try await NIOThreadPool.alerting.runIfActive { try bank.refresh() }
            logger.info("content bank loaded: \(n) PDQ items in memory (\(bank.pdqBytes >> 20) MiB) in \(ContinuousClock.now - started)")
        }
        try await cancelWhenGracefulShutdown {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.followLog() }
                if self.peers != nil { group.addTask { await self.watchPeers() } }
            }
        }
    }

    /// Every rule: the configuration's, then the store's.
    public func rules() throws -> [AlertRule] {
        try configuration().rules + Self.storedRules(outbox, logger: logger)
    }

    /// The rules kept in the store; a definition that no longer decodes is skipped and logged.
    public static func storedRules(_ outbox: OutboxStore, logger: Logger? = nil) throws -> [AlertRule] {
        try outbox.rules().compactMap { r in
            do {
                var rule = try JSONDecoder().decode(AlertRule.self, from: Data(r.definition.utf8))
                rule.source = "store"
                return rule
            } catch {
                logger?.warning("stored rule '\(r.name)' cannot be read and is skipped: \(error)")
                return nil
            }
        }
    }

    func followLog() async throws {
        let store = self.store, outbox = self.outbox
        var cursor = try await NIOThreadPool.alerting.runIfActive { () throws -> Int64 in
            if let saved = try outbox.cursor() { return saved }
            // First start: events from now on (history is what `rules test` looks at).
            let now = store.feed.through
            try outbox.enqueue([], through: now, maxBacklog: 0)
            return now
        }
        logger.info("alerting follows the change log from cursor \(cursor)")
        var failing = false
        while !Task.isCancelled {
            do {
                let from = cursor
                let done = try await NIOThreadPool.alerting.runIfActive { try self.process(after: from) }
                failing = false
                if done == cursor {
                    await store.feed.wait(after: cursor, timeout: .seconds(1))
                } else {
                    cursor = done
                }
            } catch is CancellationError {
                return
            } catch {
                if !failing { logger.error("alerting cannot queue events (retrying every second): \(error)") }
                failing = true
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Queues the events of one page of changes after `cursor`; returns the cursor reached.
    func process(after cursor: Int64) throws -> Int64 {
        let page = try store.feed.read(after: cursor, limit: 256)
        guard page.next > cursor else { return cursor }
        let config = configuration()
        let rules = try config.rules + Self.storedRules(outbox, logger: logger)
        let opined = rules.isEmpty ? [] : page.changes.compactMap { $0.kind == .opinion ? $0.signal : nil }
        let (events, verdicts) = try builder.events(for: page.changes, verdicts: try outbox.verdicts(of: opined), rules: rules)
        let messages = Self.route(events, rules: rules)
        let (queued, dropped) = try outbox.enqueue(messages, through: page.next, verdicts: verdicts, maxBacklog: config.policy.maxBacklog)
        counters.withLock { c in
            for e in events { c.events[e.type.rawValue, default: 0] += 1 }
            c.queued += queued.values.reduce(0, +)
            c.dropped += dropped.values.reduce(0, +)
            c.retroMatches += events.count { $0.type == .retroMatch }
            c.cursor = page.next
        }
        for (endpoint, n) in dropped {
            logger.warning("webhook endpoint's backlog is full; events dropped", metadata: ["endpoint": "\(endpoint)", "dropped": "\(n)"])
        }
        for e in events where e.type == .retroMatch {
            logger.info("retro-hunt: an arriving signal matches registered content", metadata: ["event.id": "\(e.id)", "signal.kind": "\(e.subject.kind?.name ?? "")"])
        }
        if !queued.isEmpty { wakeup.ring() }
        return page.next
    }

    /// Queues the events of one page of changes after `cursor`, as the running service does;
    /// returns the cursor reached (`cursor` itself when nothing is committed after it).
    public func queueEvents(after cursor: Int64) throws -> Int64 { try process(after: cursor) }

    /// The messages that `events` make under `rules`: one per event and destination, critical
    /// signals' events first in line.
    public static func route(_ events: [AlertEvent], rules: [AlertRule]) -> [QueuedMessage] {
        events.flatMap { e in
            AlertRule.destinations(of: e, under: rules).map {
                QueuedMessage(endpoint: $0, messageID: e.id, eventType: e.type.rawValue, priority: e.isCritical ? 1 : 0, data: e.data, eventAt: e.at)
            }
        }
    }

    func watchPeers() async {
        guard let peers else { return }
        var watch = PeerWatch()
        while !Task.isCancelled {
            let config = configuration()
            try? await Task.sleep(for: .milliseconds(Int64(config.peerCheckSeconds * 1000)))
            guard let health = await peers() else { continue }
            do {
                let rules = try await NIOThreadPool.alerting.runIfActive { try self.rules() }
                let thresholds = Set(rules.filter { $0.events.isEmpty || $0.events.contains(.peerLagging) }.map { $0.lagEntries ?? AlertRule.defaultLagEntries })
                let now = Int64.nowMillis
                let events = try watch.observe(health, thresholds: thresholds).map { change in
                    try Self.peerEvent(change.type, change.peer, threshold: change.threshold, at: now)
                }
                guard !events.isEmpty else { continue }
                let messages = Self.route(events, rules: rules)
                let outbox = self.outbox
                _ = try await NIOThreadPool.alerting.runIfActive { try outbox.enqueue(messages, through: nil, maxBacklog: config.policy.maxBacklog) }
                counters.withLock { c in for e in events { c.events[e.type.rawValue, default: 0] += 1 } }
                if !messages.isEmpty { wakeup.ring() }
            } catch {
                logger.warning("alerting cannot queue peer events: \(error)")
            }
        }
    }

    struct PeerData: Encodable {
        var peer: String
        var peerName: String
        var connected: Bool
        var behind: UInt64
        var threshold: UInt64?
        var lastError: String?
    }

    static func peerEvent(_ type: AlertEvent.EventType, _ p: PeerHealth, threshold: UInt64?, at: Int64) throws -> AlertEvent {
        var h = SHA256.Hasher()
        h.update(Array("\(type.rawValue)|\(p.id)|\(threshold ?? 0)|\(at)".utf8))
        let data = try EventBuilder.json(PeerData(peer: p.id, peerName: p.name, connected: p.connected, behind: p.behind, threshold: threshold, lastError: p.lastError))
        return AlertEvent(id: "msg_" + Hex.encode(Array(h.finalize().prefix(16))), type: type, at: at,
                          subject: AlertEvent.Subject(peer: p.id, behind: p.behind, lagThreshold: threshold), data: data)
    }
}

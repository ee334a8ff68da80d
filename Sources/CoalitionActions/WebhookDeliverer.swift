import CoalitionAlert
import CoalitionCore
import CoalitionQuery
import CoalitionStore
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Delivers the outbox: one worker per endpoint, each sending its endpoint's messages one at a
/// time, critical first and otherwise in queue order, signed as Standard Webhooks describes.
///
/// A failed attempt is retried under the ``DeliveryPolicy`` (backoff with jitter, then dead
/// after the horizon); meanwhile the endpoint's later messages wait, so that a receiver sees
/// them in order. Endpoints never wait on each other. A message is marked delivered only after
/// a 2xx, so a crash between the two sends it again with the same `webhook-id`: at least once.
public final class WebhookDeliverer: Service, Sendable {
    let outbox: OutboxStore
    let client: WebhookClient
    let policy: @Sendable () -> DeliveryPolicy
    let wakeup: Wakeup
    let logger: Logger
    private let state = Mutex(State())

    struct State {
        var running: Set<String> = []
        var endpoints: [String: (url: WebhookURL, signer: WebhookSigner)] = [:]
        var counters: [String: Counters] = [:]
    }

    /// Attempts per endpoint since the node started (`/metrics`).
    public struct Counters: Sendable, Equatable {
        public var attempts = 0
        public var delivered = 0
        public var failed = 0
        public var dead = 0
        /// Milliseconds from queueing to a 2xx, of the last delivery.
        public var lastLatencyMillis: Int64?

        public init() {}
    }

    public init(outbox: OutboxStore, client: WebhookClient, policy: @escaping @Sendable () -> DeliveryPolicy, wakeup: Wakeup, logger: Logger) {
        self.outbox = outbox
        self.client = client
        self.policy = policy
        self.wakeup = wakeup
        self.logger = logger
    }

    public var counters: [String: Counters] { state.withLock { $0.counters } }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                var lastPrune = Int64(0)
                while !Task.isCancelled {
                    let seen = self.wakeup.generation
                    do {
                        let outbox = self.outbox
                        let rows = try await NIOThreadPool.alerting.runIfActive { try outbox.endpointSecrets() }
                        let start = self.refresh(rows)
                        for name in start { group.addTask { await self.work(name) } }
                        let now = Int64.nowMillis
                        if now - lastPrune > 60_000 {
                            lastPrune = now
                            let retain = Int64(self.policy().retainSeconds * 1000)
                            let pruned = try await NIOThreadPool.alerting.runIfActive { try outbox.prune(finishedBefore: now - retain) }
                            if pruned > 0 { self.logger.debug("pruned \(pruned) finished webhook messages") }
                        }
                    } catch {
                        self.logger.warning("cannot read the webhook endpoints: \(error)")
                    }
                    await self.wakeup.wait(after: seen, timeout: .seconds(1))
                }
            }
        }
    }

    /// Updates the endpoints from the store; returns the names that need a worker.
    func refresh(_ rows: [(endpoint: WebhookEndpoint, secret: String)]) -> [String] {
        var parsed: [String: (WebhookURL, WebhookSigner)] = [:]
        for (e, secret) in rows {
            do {
                parsed[e.name] = (try WebhookURL(parsing: e.url), try WebhookSigner(secret: secret))
            } catch {
                logger.error("webhook endpoint '\(e.name)' is unusable and gets nothing: \(error)")
            }
        }
        return state.withLock { s in
            s.endpoints = parsed
            let start = parsed.keys.filter { !s.running.contains($0) }
            s.running.formUnion(start)
            return start
        }
    }

    /// Delivers one endpoint's queue until the endpoint is removed or the service stops.
    func work(_ name: String) async {
        var failing = false
        defer { _ = state.withLock { $0.running.remove(name) } }
        while !Task.isCancelled {
            let seen = wakeup.generation
            guard let (url, signer) = state.withLock({ $0.endpoints[name] }) else { return }
            let outbox = self.outbox
            let head: OutboxMessage?
            do {
                head = try await NIOThreadPool.alerting.runIfActive { try outbox.head(of: name) }
            } catch {
                logger.warning("cannot read the outbox: \(error)", metadata: ["endpoint": "\(name)"])
                await wakeup.wait(after: seen, timeout: .seconds(1))
                continue
            }
            guard let m = head else {
                await wakeup.wait(after: seen, timeout: .seconds(1))
                continue
            }
            let now = Int64.nowMillis
            if m.nextAttemptAt > now {
                // Backing off; a new message (a critical one may now lead) rings earlier.
                await wakeup.wait(after: seen, timeout: .milliseconds(min(m.nextAttemptAt - now, 1000)))
                continue
            }
            let policy = self.policy()
            let timestamp = now / 1000
            let body = AlertEventBody.encode(id: m.message.messageID, type: m.message.eventType, at: m.message.eventAt, data: m.message.data)
            let headers = [("webhook-id", m.message.messageID), ("webhook-timestamp", String(timestamp)),
                           ("webhook-signature", signer.signature(id: m.message.messageID, timestamp: timestamp, body: body))]
            let outcome = await client.post(url, headers: headers, body: body, timeout: .milliseconds(Int64(policy.timeoutSeconds * 1000)))
            let after = Int64.nowMillis
            let decision = policy.decide(outcome, attempt: m.attempts + 1, queuedAt: m.queuedAt, now: after, jitter: Double.random(in: 0..<1))
            do {
                switch decision {
                case .delivered:
                    try await NIOThreadPool.alerting.runIfActive { try outbox.record(m.id, state: .delivered, error: nil, now: after) }
                    if failing { logger.info("webhook endpoint reachable again", metadata: ["endpoint": "\(name)"]) }
                    failing = false
                case .retry(let at, let error):
                    try await NIOThreadPool.alerting.runIfActive { try outbox.record(m.id, state: .pending, nextAttemptAt: at, error: error, now: after) }
                    if !failing {
                        logger.warning("webhook delivery failed; retrying with backoff", metadata: ["endpoint": "\(name)", "webhook.id": "\(m.message.messageID)", "error": "\(error)"])
                    }
                    failing = true
                case .dead(let error):
                    try await NIOThreadPool.alerting.runIfActive { try outbox.record(m.id, state: .dead, error: error, now: after) }
                    logger.error("webhook message dead: not delivered", metadata: ["endpoint": "\(name)", "webhook.id": "\(m.message.messageID)", "error": "\(error)"])
                }
            } catch {
                logger.warning("cannot record a webhook attempt (it will be sent again): \(error)", metadata: ["endpoint": "\(name)"])
                try? await Task.sleep(for: .seconds(1))
            }
            state.withLock { s in
                var c = s.counters[name] ?? Counters()
                c.attempts += 1
                switch decision {
                case .delivered:
                    c.delivered += 1
                    c.lastLatencyMillis = after - m.queuedAt
                case .retry: c.failed += 1
                case .dead: c.failed += 1; c.dead += 1
                }
                s.counters[name] = c
            }
        }
    }
}

/// The JSON body of a delivery: `{"data": …, "id": …, "timestamp": …, "type": …}`.
public enum AlertEventBody {
    public static func encode(id: String, type: String, at: Int64, data: [UInt8]) -> [UInt8] {
        var out = Array("{\"data\":".utf8)
        out += data
        out += Array(",\"id\":\"\(id)\",\"timestamp\":\"\(SignalView.time(at))\",\"type\":\"\(type)\"}".utf8)
        return out
    }
}

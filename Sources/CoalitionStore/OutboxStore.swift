import CoalitionCore
import Foundation
import GRDB

/// A webhook endpoint as listed: never its secret.
public struct WebhookEndpoint: Sendable, Codable, Equatable {
    public var name: String
    public var url: String
    public var createdAt: Int64
    /// Events not queued because the endpoint's backlog was full.
    public var dropped: Int
}

/// One message to queue: an event for one endpoint.
public struct QueuedMessage: Sendable, Equatable {
    public var endpoint: String
    /// The `webhook-id`; (endpoint, messageID) is queued at most once.
    public var messageID: String
    public var eventType: String
    /// Higher first (critical signals' events are 1, the rest 0).
    public var priority: Int
    /// The event's `data` JSON.
    public var data: [UInt8]
    public var eventAt: Int64

    public init(endpoint: String, messageID: String, eventType: String, priority: Int, data: [UInt8], eventAt: Int64) {
        self.endpoint = endpoint; self.messageID = messageID; self.eventType = eventType
        self.priority = priority; self.data = data; self.eventAt = eventAt
    }
}

/// A message in the outbox.
public struct OutboxMessage: Sendable, Equatable {
    public enum State: Int, Sendable, Codable { case pending = 0, delivered = 1, dead = 2 }
    public var id: Int64
    public var message: QueuedMessage
    public var queuedAt: Int64
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var state: State
    public var lastError: String?
    public var doneAt: Int64?
}

/// Delivery state of one endpoint: what `GET /v1/deliveries`, `coalition status` and `/metrics` show.
public struct EndpointDeliveries: Sendable, Codable, Equatable {
    public var endpoint: String
    public var url: String
    public var pending: Int
    public var delivered: Int
    public var dead: Int
    public var dropped: Int
    /// Queue time of the oldest message waiting (ms), if any.
    public var oldestPendingAt: Int64?
    public var lastDeliveredAt: Int64?
    /// The last failed attempt's error and when it happened.
    public var lastError: String?
    public var lastErrorAt: Int64?
}

/// The alerting tables: webhook endpoints, rules kept in the store, the outbox and the cursor
/// of the change log up to which events have been queued.
public struct OutboxStore: Sendable {
    let database: AppDatabase

    public init(database: AppDatabase) { self.database = database }

    // MARK: endpoints

    /// Adds an endpoint, or replaces the URL and secret of one with that name.
    public func setEndpoint(name: String, url: String, secret: String, now: Int64 = .nowMillis) throws {
        try database.writer.write { db in
            try db.execute(sql: """
                INSERT INTO webhookEndpoint (name, url, secret, createdAt) VALUES (?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET url = excluded.url, secret = excluded.secret
                """, arguments: [name, url, secret, now])
        }
    }

    /// Removes an endpoint and every message queued for it; returns whether it existed.
    @discardableResult
    public func removeEndpoint(_ name: String) throws -> Bool {
        try database.writer.write { db in
            try db.execute(sql: "DELETE FROM webhookEndpoint WHERE name = ?", arguments: [name])
            let existed = db.changesCount > 0
            try db.execute(sql: "DELETE FROM outbox WHERE endpoint = ?", arguments: [name])
            return existed
        }
    }

    public func endpoints() throws -> [WebhookEndpoint] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT name, url, createdAt, dropped FROM webhookEndpoint ORDER BY name").map {
                WebhookEndpoint(name: $0["name"], url: $0["url"], createdAt: $0["createdAt"], dropped: $0["dropped"])
            }
        }
    }

    /// Endpoints with their secrets, for the deliverer only.
    public func endpointSecrets() throws -> [(endpoint: WebhookEndpoint, secret: String)] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM webhookEndpoint ORDER BY name").map {
                (WebhookEndpoint(name: $0["name"], url: $0["url"], createdAt: $0["createdAt"], dropped: $0["dropped"]), $0["secret"])
            }
        }
    }

    // MARK: rules

    /// Adds or replaces a rule, stored as its JSON definition.
    public func setRule(name: String, definition: String, now: Int64 = .nowMillis) throws {
        try database.writer.write { db in
            try db.execute(sql: """
                INSERT INTO alertRule (name, definition, createdAt) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET definition = excluded.definition
                """, arguments: [name, definition, now])
        }
    }

    @discardableResult
    public func removeRule(_ name: String) throws -> Bool {
        try database.writer.write { db in
            try db.execute(sql: "DELETE FROM alertRule WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    /// The stored rules' JSON definitions, by name.
    public func rules() throws -> [(name: String, definition: String)] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT name, definition FROM alertRule ORDER BY name").map { ($0["name"], $0["definition"]) }
        }
    }

    // MARK: queueing

    /// The change-log cursor up to which events have been queued; nil before the first run.
    public func cursor() throws -> Int64? {
        try database.writer.read { db in try Int64.fetchOne(db, sql: "SELECT cursor FROM alertCursor WHERE id = 1") }
    }

    /// Queues messages and advances the cursor in one transaction, so that a crash either
    /// keeps both or neither. A message already queued (a replay after a crash) is skipped;
    /// one beyond its endpoint's backlog of `maxBacklog` pending messages is counted as dropped.
    /// - Parameter verdicts: the signals' verdicts as of these events, remembered for the next
    ///   verdict change.
    /// - Returns: how many were queued and how many dropped, per endpoint.
    @discardableResult
    public func enqueue(_ messages: [QueuedMessage], through cursor: Int64?, verdicts: [(signal: EntryID, verdict: String)] = [],
                        maxBacklog: Int, now: Int64 = .nowMillis) throws -> (queued: [String: Int], dropped: [String: Int]) {
        try database.writer.write { db in
            var queued: [String: Int] = [:], dropped: [String: Int] = [:]
            var room: [String: Int] = [:]
            for m in messages {
                if room[m.endpoint] == nil {
                    let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM webhookEndpoint WHERE name = ?", arguments: [m.endpoint]) ?? false
                    let pending = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox WHERE endpoint = ? AND state = 0", arguments: [m.endpoint]) ?? 0
                    room[m.endpoint] = exists ? maxBacklog - pending : -1
                }
                // A rule naming an endpoint that does not exist (yet) queues nothing.
                if room[m.endpoint]! < 0 { continue }
                if room[m.endpoint]! == 0 {
                    dropped[m.endpoint, default: 0] += 1
                    continue
                }
                try db.run("""
                    INSERT OR IGNORE INTO outbox (endpoint, messageID, eventType, priority, data, eventAt, queuedAt, nextAttemptAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, [m.endpoint, m.messageID, m.eventType, m.priority, Data(m.data), m.eventAt, now, now])
                if db.changesCount > 0 {
                    queued[m.endpoint, default: 0] += 1
                    room[m.endpoint]! -= 1
                }
            }
            for (endpoint, n) in dropped {
                try db.execute(sql: "UPDATE webhookEndpoint SET dropped = dropped + ? WHERE name = ?", arguments: [n, endpoint])
            }
            for v in verdicts {
                try db.run("INSERT INTO alertVerdict (signal, verdict) VALUES (?, ?) ON CONFLICT(signal) DO UPDATE SET verdict = excluded.verdict",
                           [Data(v.signal.bytes), v.verdict])
            }
            if let cursor {
                try db.execute(sql: "INSERT INTO alertCursor (id, cursor) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET cursor = max(cursor, excluded.cursor)",
                               arguments: [cursor])
            }
            return (queued, dropped)
        }
    }

    /// The verdicts last remembered for `signals`.
    public func verdicts(of signals: [EntryID]) throws -> [EntryID: String] {
        guard !signals.isEmpty else { return [:] }
        return try database.writer.read { db in
            var out: [EntryID: String] = [:]
            for s in signals {
                if let v = try String.fetchOne(db.cachedStatement(sql: "SELECT verdict FROM alertVerdict WHERE signal = ?"), arguments: [Data(s.bytes)]) {
                    out[s] = v
                }
            }
            return out
        }
    }

    // MARK: delivering

    /// The message at the head of an endpoint's queue: critical first, then in queue order.
    public func head(of endpoint: String) throws -> OutboxMessage? {
        try database.writer.read { db in
            try db.row("SELECT * FROM outbox WHERE endpoint = ? AND state = 0 ORDER BY priority DESC, id LIMIT 1", [endpoint]).map(Self.message)
        }
    }

    /// Records an attempt's result.
    public func record(_ id: Int64, state: OutboxMessage.State, nextAttemptAt: Int64? = nil, error: String?, now: Int64 = .nowMillis) throws {
        try database.writer.write { db in
            try db.run("""
                UPDATE outbox SET attempts = attempts + 1, state = ?, nextAttemptAt = coalesce(?, nextAttemptAt),
                    lastError = coalesce(?, lastError), lastErrorAt = CASE WHEN ? IS NULL THEN lastErrorAt ELSE ? END,
                    doneAt = CASE WHEN ? = 0 THEN NULL ELSE ? END
                WHERE id = ?
                """, [state.rawValue, nextAttemptAt, error, error, now, state.rawValue, now, id])
        }
    }

    /// Removes delivered and dead messages finished before `before` (ms).
    @discardableResult
    public func prune(finishedBefore before: Int64) throws -> Int {
        try database.writer.write { db in
            try db.execute(sql: "DELETE FROM outbox WHERE state <> 0 AND doneAt < ?", arguments: [before])
            return db.changesCount
        }
    }

    /// Per endpoint: messages pending, delivered and dead, and the last error.
    public func deliveries() throws -> [EndpointDeliveries] {
        try database.writer.read { db in
            let counts = try Row.fetchAll(db, sql: """
                SELECT endpoint, state, count(*) AS n, min(queuedAt) AS oldest, max(doneAt) AS lastDone FROM outbox GROUP BY endpoint, state
                """)
            let errors = try Row.fetchAll(db, sql: """
                SELECT endpoint, lastError, max(lastErrorAt) AS lastErrorAt FROM outbox WHERE lastErrorAt IS NOT NULL GROUP BY endpoint
                """)
            return try Row.fetchAll(db, sql: "SELECT name, url, dropped FROM webhookEndpoint ORDER BY name").map { row in
                let name: String = row["name"]
                var d = EndpointDeliveries(endpoint: name, url: row["url"], pending: 0, delivered: 0, dead: 0, dropped: row["dropped"])
                for c in counts where (c["endpoint"] as String) == name {
                    switch OutboxMessage.State(rawValue: c["state"]) {
                    case .pending: d.pending = c["n"]; d.oldestPendingAt = c["oldest"]
                    case .delivered: d.delivered = c["n"]; d.lastDeliveredAt = c["lastDone"]
                    case .dead: d.dead = c["n"]
                    case nil: break
                    }
                }
                if let e = errors.first(where: { ($0["endpoint"] as String) == name }) {
                    d.lastError = e["lastError"]
                    d.lastErrorAt = e["lastErrorAt"]
                }
                return d
            }
        }
    }

    /// The most recent messages, newest first, optionally of one endpoint.
    public func recent(endpoint: String? = nil, limit: Int = 100) throws -> [OutboxMessage] {
        try database.writer.read { db in
            if let endpoint {
                return try db.rows("SELECT * FROM outbox WHERE endpoint = ? ORDER BY id DESC LIMIT ?", [endpoint, limit]).map(Self.message)
            }
            return try db.rows("SELECT * FROM outbox ORDER BY id DESC LIMIT ?", [limit]).map(Self.message)
        }
    }

    static func message(_ r: Row) -> OutboxMessage {
        OutboxMessage(id: r["id"], message: QueuedMessage(endpoint: r["endpoint"], messageID: r["messageID"], eventType: r["eventType"],
                                                         priority: r["priority"], data: Array(r["data"] as Data), eventAt: r["eventAt"]),
                      queuedAt: r["queuedAt"], attempts: r["attempts"], nextAttemptAt: r["nextAttemptAt"],
                      state: OutboxMessage.State(rawValue: r["state"]) ?? .pending, lastError: r["lastError"], doneAt: r["doneAt"])
    }
}

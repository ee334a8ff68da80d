import CoalitionCore
import Foundation
import GRDB

/// A local override of one indicator: this platform's own decision, never gossiped.
public struct LocalOverride: Sendable, Codable, Equatable {
    /// `ignore` hides matching signals from this node's lookups (ThreatExchange users' "negative
    /// bank"); `flag` makes lookups report the indicator even with no signal.
    public enum Action: String, Sendable, Codable, CaseIterable { case ignore, flag }

    public var kind: String
    /// The canonical value.
    public var value: String
    public var action: Action
    public var note: String?
    public var createdAt: Int64
}

/// Stores local overrides, keyed by (kind, canonical value).
public struct OverrideStore: Sendable {
    let database: AppDatabase

    public init(database: AppDatabase) { self.database = database }

    /// Sets (or replaces) the override of an indicator; `value` must already be canonical.
    public func set(kind: SignalKind, value: String, action: LocalOverride.Action, note: String?, now: Int64 = .nowMillis) throws -> LocalOverride {
        if let note { try SignalRules.checkNote(note, field: "note") }
        let o = LocalOverride(kind: kind.name, value: value, action: action, note: note, createdAt: now)
        try database.writer.write { db in
            try db.execute(sql: """
                INSERT INTO localOverride (kind, value, action, note, createdAt) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(kind, value) DO UPDATE SET action = excluded.action, note = excluded.note, createdAt = excluded.createdAt
                """, arguments: [o.kind, o.value, o.action.rawValue, o.note, o.createdAt])
        }
        return o
    }

    /// Removes an override; returns whether there was one.
    @discardableResult
    public func remove(kind: SignalKind, value: String) throws -> Bool {
        try database.writer.write { db in
            try db.execute(sql: "DELETE FROM localOverride WHERE kind = ? AND value = ?", arguments: [kind.name, value])
            return db.changesCount > 0
        }
    }

    public func get(kind: SignalKind, value: String) throws -> LocalOverride? {
        try database.writer.read { db in
            try db.row("SELECT * FROM localOverride WHERE kind = ? AND value = ?", [kind.name, value]).map(Self.make)
        }
    }

    public func list() throws -> [LocalOverride] {
        try database.writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM localOverride ORDER BY kind, value").map(Self.make) }
    }

    static func make(_ row: Row) -> LocalOverride {
        LocalOverride(kind: row["kind"], value: row["value"], action: LocalOverride.Action(rawValue: row["action"]) ?? .flag,
                      note: row["note"], createdAt: row["createdAt"])
    }
}

import CoalitionCore
import Foundation
import GRDB

/// One item of the content bank: a hash or value of content this platform hosts, under the
/// platform's own opaque content ID.
public struct ContentItem: Sendable, Codable, Equatable {
    public var contentId: String
    public var kind: String
    /// The canonical value.
    public var value: String

    public init(contentId: String, kind: String, value: String) {
        self.contentId = contentId
        self.kind = kind
        self.value = value
    }
}

/// The content bank's table. Local only: nothing here is gossiped or exported.
public struct ContentBankStore: Sendable {
    let database: AppDatabase

    public init(database: AppDatabase) { self.database = database }

    /// Registers items (already canonical); an item registered before is left as it is.
    /// - Returns: the row IDs of the items added, with the items.
    public func register(_ items: [ContentItem], now: Int64 = .nowMillis) throws -> [(row: Int64, item: ContentItem)] {
        try database.writer.write { db in
            var added: [(Int64, ContentItem)] = []
            for i in items {
                try db.run("INSERT OR IGNORE INTO contentItem (contentId, kind, value, createdAt) VALUES (?, ?, ?, ?)", [i.contentId, i.kind, i.value, now])
                if db.changesCount > 0 { added.append((db.lastInsertedRowID, i)) }
            }
            return added
        }
    }

    /// Unregisters every item of a content ID, or only the one of `kind` and `value`.
    /// - Returns: the rows removed.
    public func unregister(contentId: String, kind: String? = nil, value: String? = nil) throws -> [(row: Int64, item: ContentItem)] {
        try database.writer.write { db in
            let rows: [Row]
            if let kind, let value {
                rows = try db.rows("SELECT * FROM contentItem WHERE contentId = ? AND kind = ? AND value = ?", [contentId, kind, value])
            } else {
                rows = try db.rows("SELECT * FROM contentItem WHERE contentId = ?", [contentId])
            }
            for r in rows { try db.run("DELETE FROM contentItem WHERE id = ?", [r["id"] as Int64]) }
            return rows.map { (row: $0["id"], item: ContentItem(contentId: $0["contentId"], kind: $0["kind"], value: $0["value"])) }
        }
    }

    /// Every item of `kind` after a row, in row order, a page at a time (for loading an index).
    /// Walks the rows (`+kind` keeps SQLite off the kind index, which would scan every item of the kind).
    public func items(kind: String, afterRow: Int64, limit: Int) throws -> [(row: Int64, value: String)] {
        try database.writer.read { db in
            try db.rows("SELECT id, value FROM contentItem WHERE id > ? AND +kind = ? ORDER BY id LIMIT ?", [afterRow, kind, limit]).map { ($0["id"], $0["value"]) }
        }
    }

    /// The content IDs registered under exactly `kind` and `value`.
    public func contentIDs(kind: String, value: String) throws -> [String] {
        try database.writer.read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT contentId FROM contentItem WHERE kind = ? AND value = ? ORDER BY contentId"), arguments: [kind, value])
        }
    }

    /// The items of the given rows.
    public func items(rows: [Int64]) throws -> [Int64: ContentItem] {
        guard !rows.isEmpty else { return [:] }
        return try database.writer.read { db in
            var out: [Int64: ContentItem] = [:]
            for r in rows {
                if let row = try db.row("SELECT * FROM contentItem WHERE id = ?", [r]) {
                    out[r] = ContentItem(contentId: row["contentId"], kind: row["kind"], value: row["value"])
                }
            }
            return out
        }
    }

    /// Items registered of one kind.
    public func count(kind: String) throws -> Int {
        try database.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM contentItem WHERE kind = ?", arguments: [kind]) ?? 0 }
    }

    /// Items registered, per kind.
    public func counts() throws -> [String: Int] {
        try database.writer.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT kind, count(*) AS n FROM contentItem GROUP BY kind").map { ($0["kind"], $0["n"]) })
        }
    }
}

import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB
import Synchronization

/// What an API token may do.
public enum TokenScope: String, Sendable, Codable, CaseIterable, Comparable {
    /// Ask: lookups, text matching, signals, the change feed.
    case lookup
    /// Publish, retract and give opinions as this platform (implies nothing else).
    case publish
    /// Node status and administration (implies `lookup`).
    case admin

    public static func < (a: TokenScope, b: TokenScope) -> Bool { a.rawValue < b.rawValue }
}

/// An API token as stored: never its plaintext.
public struct APIToken: Sendable, Codable, Equatable {
    public let id: String
    public let name: String
    public let scopes: Set<TokenScope>
    public let createdAt: Int64
    public let revokedAt: Int64?

    /// Whether the token grants `scope` (`admin` also grants `lookup`).
    public func allows(_ scope: TokenScope) -> Bool {
        scopes.contains(scope) || (scope == .lookup && scopes.contains(.admin))
    }
}

/// Creates, lists, revokes and checks API tokens. A token is `coal_` followed by 32 random
/// bytes in base64url; the store keeps its SHA-256 only.
public struct TokenStore: Sendable {
    let database: AppDatabase

    public init(database: AppDatabase) { self.database = database }

    /// Creates a token; returns it with its plaintext, which is never stored or shown again.
    /// - Throws: `CoalitionError(.invalidField)` for an empty or duplicate name or no scope.
    public func create(name: String, scopes: Set<TokenScope>, now: Int64 = .nowMillis) throws -> (token: APIToken, plaintext: String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.utf8.count <= 64 else {
            throw CoalitionError(.invalidField, "a token name is 1 to 64 bytes", field: "name")
        }
        guard !scopes.isEmpty else { throw CoalitionError(.invalidField, "a token needs at least one scope (lookup, publish, admin)", field: "scope") }
        var secret = SecureRandom.bytes(32)
        defer { Memory.wipe(&secret) }
        let plaintext = "coal_" + Data(secret).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let id = Hex.encode(SecureRandom.bytes(6))
        let token = APIToken(id: id, name: trimmed, scopes: scopes, createdAt: now, revokedAt: nil)
        try database.writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM apiToken WHERE name = ?", arguments: [trimmed]) == true {
                throw CoalitionError(.invalidField, "a token named '\(trimmed)' already exists", field: "name")
            }
            try db.execute(sql: "INSERT INTO apiToken (id, name, hash, scopes, createdAt) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, trimmed, Data(SHA256.hash(Array(plaintext.utf8))), Self.encode(scopes), now])
        }
        return (token, plaintext)
    }

    /// Every token, newest first.
    public func list() throws -> [APIToken] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM apiToken ORDER BY createdAt DESC, id").map(Self.token)
        }
    }

    /// Revokes a token by ID or name.
    /// - Throws: `CoalitionError(.notFound)`.
    public func revoke(_ idOrName: String, now: Int64 = .nowMillis) throws {
        defer { Self.revocationCount.add(1, ordering: .releasing) }
        try database.writer.write { db in
            try db.execute(sql: "UPDATE apiToken SET revokedAt = ? WHERE (id = ? OR name = ?) AND revokedAt IS NULL", arguments: [now, idOrName, idOrName])
            guard db.changesCount > 0 else { throw CoalitionError(.notFound, "no active token with ID or name '\(idOrName)'") }
        }
    }

    private static let revocationCount = Atomic<UInt64>(0)

    /// How many revocations this process has made (through any `TokenStore`): caches of
    /// verified tokens start afresh when it changes, so an in-process revocation applies to
    /// the very next request.
    public static var revocations: UInt64 { revocationCount.load(ordering: .acquiring) }

    /// The active token with this plaintext, or nil.
    public func verify(_ plaintext: String) throws -> APIToken? {
        guard plaintext.hasPrefix("coal_"), plaintext.utf8.count < 100 else { return nil }
        let hash = Data(SHA256.hash(Array(plaintext.utf8)))
        return try database.writer.read { db in
            try db.row("SELECT * FROM apiToken WHERE hash = ? AND revokedAt IS NULL", [hash]).map(Self.token)
        }
    }

    /// The token with this ID if it is not revoked (a dashboard session checks its token so).
    public func active(id: String) throws -> APIToken? {
        try database.writer.read { db in
            try db.row("SELECT * FROM apiToken WHERE id = ? AND revokedAt IS NULL", [id]).map(Self.token)
        }
    }

    static func encode(_ scopes: Set<TokenScope>) -> String { scopes.sorted().map(\.rawValue).joined(separator: ",") }

    static func token(_ row: Row) -> APIToken {
        let scopes = Set((row["scopes"] as String).split(separator: ",").compactMap { TokenScope(rawValue: String($0)) })
        return APIToken(id: row["id"], name: row["name"], scopes: scopes, createdAt: row["createdAt"], revokedAt: row["revokedAt"])
    }
}

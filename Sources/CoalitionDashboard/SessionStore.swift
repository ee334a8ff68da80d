import CoalitionCrypto
import CoalitionStore
import Foundation
import Synchronization

/// A logged-in dashboard user: the API token it logged in with (by ID; the token itself is
/// never kept) and the CSRF token its forms carry.
struct Session: Sendable {
    let id: String
    let tokenID: String
    let tokenName: String
    let scopes: Set<TokenScope>
    let csrf: String
    let createdAt: ContinuousClock.Instant
    var lastSeen: ContinuousClock.Instant

    func allows(_ scope: TokenScope) -> Bool { scopes.contains(scope) || (scope == .lookup && scopes.contains(.admin)) }
    var isAdmin: Bool { scopes.contains(.admin) }
}

/// The dashboard's sessions, in memory: a restart logs everyone out. A session ends after
/// ``idleLimit`` without a request, after ``lifetime`` in all, at logout, or when its token is
/// revoked (checked on every request).
final class SessionStore: Sendable {
    static let cookie = "coalition_session"
    static let loginCookie = "coalition_login"
    let idleLimit: Duration
    let lifetime: Duration
    let capacity: Int
    private let sessions = Mutex<[String: Session]>([:])

    init(idleLimit: Duration = .seconds(3600), lifetime: Duration = .seconds(12 * 3600), capacity: Int = 10_000) {
        self.idleLimit = idleLimit
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// A new session for `token`.
    func open(for token: APIToken) -> Session {
        let now = ContinuousClock.now
        let s = Session(id: Self.random(), tokenID: token.id, tokenName: token.name, scopes: token.scopes, csrf: Self.random(),
                        createdAt: now, lastSeen: now)
        sessions.withLock { table in
            if table.count >= capacity {
                // Full: the least recently used goes.
                if let oldest = table.values.min(by: { $0.lastSeen < $1.lastSeen }) { table[oldest.id] = nil }
            }
            table[s.id] = s
        }
        return s
    }

    /// The live session of `id`, its last use now; nil when unknown or expired.
    func session(_ id: String) -> Session? {
        let now = ContinuousClock.now
        return sessions.withLock { table in
            guard var s = table[id] else { return nil }
            guard now - s.lastSeen < idleLimit, now - s.createdAt < lifetime else {
                table[id] = nil
                return nil
            }
            s.lastSeen = now
            table[id] = s
            return s
        }
    }

    func close(_ id: String) { sessions.withLock { _ = $0.removeValue(forKey: id) } }

    /// Ends every session of a token (revoked).
    func closeAll(ofToken tokenID: String) { sessions.withLock { table in table = table.filter { $0.value.tokenID != tokenID } } }

    var count: Int { sessions.withLock { $0.count } }

    /// 32 random bytes, base64url: a session ID or a CSRF token.
    static func random() -> String {
        Data(SecureRandom.bytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Compares two secrets in time independent of where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var d: UInt8 = 0
        for i in x.indices { d |= x[i] ^ y[i] }
        return d == 0
    }
}

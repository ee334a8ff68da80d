import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// The API token check without a database read on every request: a token that verified is
/// trusted again for up to `lifetime` seconds (one second by default). A revocation made in
/// this process applies to the next request; one made by another process (`coalition tokens
/// revoke` beside a running node) within that second. Tokens are kept by their SHA-256 hash,
/// never in plaintext; failed checks are not cached.
final class TokenCache: Sendable {
    private let tokens: TokenStore
    private let lifetime: Double
    private let pool: NIOThreadPool
    private let entries = NIOLockedValueBox<(revocations: UInt64, byHash: [Data: (token: APIToken, at: Double)])>((0, [:]))

    init(tokens: TokenStore, lifetime: Double = 1, pool: NIOThreadPool) {
        self.tokens = tokens
        self.lifetime = lifetime
        self.pool = pool
    }

    /// The token, if valid; a cache miss reads the store on `pool`.
    func verify(_ plaintext: String, now: Double = ProcessInfo.processInfo.systemUptime) async throws -> APIToken? {
        let key = Data(SHA256.hash(Array(plaintext.utf8)))
        let revocations = TokenStore.revocations
        let hit = entries.withLockedValue { e in
            if e.revocations != revocations { e = (revocations, [:]) }
            return e.byHash[key]
        }
        if let hit, now - hit.at < lifetime { return hit.token }
        guard let token = try await pool.runIfActive({ [tokens] in try tokens.verify(plaintext) }) else {
            entries.withLockedValue { _ = $0.byHash.removeValue(forKey: key) }
            return nil
        }
        entries.withLockedValue { e in
            // Not if a revocation happened while the database was read (the answer may be stale).
            guard e.revocations == revocations, TokenStore.revocations == revocations else { return }
            if e.byHash.count >= 10_000 { e.byHash.removeAll() }  // bounded: many distinct valid tokens just re-verify
            e.byHash[key] = (token, now)
        }
        return token
    }
}

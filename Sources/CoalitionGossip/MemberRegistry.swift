import CoalitionCore
import CoalitionCrypto
import NIOConcurrencyHelpers

/// The members this node accepts, readable from any thread and replaced atomically on reload.
/// TLS verification (on event loops) and ingest policy both read it, so a removed member is
/// refused at once by both.
///
/// Members are configured by key, and follow their key rotations (``KeySuccession``): once a
/// rotation entry from `A` to `A'` is known, `A'` is accepted as the member configured as `A`
/// (same name, same peer address), and `A` may no longer connect. `A` stays an accepted author,
/// so that its entries up to the rotation are still stored and relayed; the chain rules refuse
/// what it signs after.
public final class MemberRegistry: Sendable {
    private struct State {
        var configured: [PublicKey: String]
        var succession = KeySuccession()
        var selfKey: PublicKey
        /// Configured keys and their uncontested successors.
        var lineage: Set<PublicKey> = []

        mutating func recompute() { lineage = succession.lineage(of: configured.keys) }
    }
    private let state: NIOLockedValueBox<State>

    /// - Parameter members: accepted members (key → display name). Empty accepts every author
    ///   for storage (trial use) but still no TLS peer: a connection needs an explicit member.
    public init(selfKey: PublicKey, members: [PublicKey: String], succession: KeySuccession = KeySuccession()) {
        var s = State(configured: members, succession: succession, selfKey: selfKey)
        s.recompute()
        self.state = NIOLockedValueBox(s)
    }

    /// This node's own current key: always accepted as an author, never as a peer connection.
    public var selfKey: PublicKey { state.withLockedValue { $0.selfKey } }

    /// Replaces the member list (the configuration was reloaded); known rotations are kept.
    public func replace(with members: [PublicKey: String]) {
        state.withLockedValue {
            $0.configured = members
            $0.recompute()
        }
    }

    /// Takes this node's new key after its own rotation.
    public func adoptSelfKey(_ key: PublicKey) {
        state.withLockedValue { $0.selfKey = key }
    }

    /// Adds rotations (from the store, or proven in a peer's certificate).
    /// - Returns: the keys that became retired by it.
    @discardableResult
    public func learn(_ rotations: KeySuccession) -> [PublicKey] {
        state.withLockedValue { s in
            let before = Set(s.succession.successors.keys)
            guard s.succession.formUnion(rotations) else { return [] }
            s.recompute()
            return s.succession.successors.keys.filter { !before.contains($0) }.sorted()
        }
    }

    /// Adds rotations proven in a peer's certificate, if they start from a key this node
    /// accepts (a member or its successor, retired or not); others are ignored, so that strangers
    /// cannot fill the registry.
    /// - Returns: whether the proof was taken.
    public func learn(proof rotations: KeySuccession, from first: PublicKey) -> Bool {
        let accepted = state.withLockedValue { $0.lineage.contains(first) }
        guard accepted else { return false }
        learn(rotations)
        return true
    }

    /// The rotations known.
    public var succession: KeySuccession { state.withLockedValue { $0.succession } }

    /// Whether `key` may connect: a configured member or its successor, not retired, not self.
    public func isMember(_ key: PublicKey) -> Bool {
        state.withLockedValue { s in key != s.selfKey && !s.succession.isRetired(key) && s.lineage.contains(key) }
    }

    /// Whether `key` is neither this node's nor a member's, nor a known successor of one.
    public func isUnknown(_ key: PublicKey) -> Bool {
        state.withLockedValue { s in key != s.selfKey && !s.lineage.contains(key) }
    }

    /// Why `key` may not connect, for the log; nil if it may.
    public func refusal(of key: PublicKey) -> String? {
        state.withLockedValue { s in
            if key == s.selfKey { return "it is this node's own key" }
            if s.succession.isContested(key) { return "the key signed two different rotations (contested; see docs/key-rotation.md)" }
            if s.succession.isRetired(key) { return "the key was rotated to \(MemberID(publicKey: s.succession.current(of: key)).short) and is retired" }
            return s.lineage.contains(key) ? nil : "not a configured member"
        }
    }

    /// The key that now speaks for a configured member key (itself when it has not rotated).
    public func current(of key: PublicKey) -> PublicKey {
        state.withLockedValue { $0.succession.current(of: key) }
    }

    /// The accepted authors for ingest: members, their successors and their retired keys, and
    /// this node's keys, or nil (every author) when no member is configured.
    public var acceptedAuthors: Set<PublicKey>? {
        state.withLockedValue { s in
            s.configured.isEmpty ? nil : s.lineage.union([s.selfKey]).union(s.succession.ancestors(of: s.selfKey))
        }
    }

    /// A display name for logs and status: a successor goes by its configured member's name.
    public func name(of key: PublicKey) -> String {
        state.withLockedValue { s in
            if key == s.selfKey || s.succession.ancestors(of: s.selfKey).contains(key) { return "self" }
            if let root = s.succession.root(of: key, in: Set(s.configured.keys)), let name = s.configured[root] { return name }
            return MemberID(publicKey: key).short
        }
    }
}

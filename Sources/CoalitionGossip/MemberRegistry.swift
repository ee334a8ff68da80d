import CoalitionCore
import CoalitionCrypto
import NIOConcurrencyHelpers

/// The members this node accepts, readable from any thread and replaced atomically on reload.
/// TLS verification (on event loops) and ingest policy both read it, so a removed member is
/// refused at once by both.
public final class MemberRegistry: Sendable {
    private let state: NIOLockedValueBox<[PublicKey: String]>
    /// This node's own key: always accepted as an author, never as a peer connection.
    public let selfKey: PublicKey

    /// - Parameter members: accepted members (key → display name). Empty accepts every author
    ///   for storage (trial use) but still no TLS peer: a connection needs an explicit member.
    public init(selfKey: PublicKey, members: [PublicKey: String]) {
        self.selfKey = selfKey
        self.state = NIOLockedValueBox(members)
    }

    /// Replaces the member list.
    public func replace(with members: [PublicKey: String]) {
        state.withLockedValue { $0 = members }
    }

    /// Whether `key` may connect.
    public func isMember(_ key: PublicKey) -> Bool {
        key != selfKey && state.withLockedValue { $0[key] != nil }
    }

    /// The accepted authors for ingest: members and self, or nil (every author) when no member
    /// is configured.
    public var acceptedAuthors: Set<PublicKey>? {
        state.withLockedValue { $0.isEmpty ? nil : Set($0.keys).union([selfKey]) }
    }

    /// A display name for logs and status.
    public func name(of key: PublicKey) -> String {
        if key == selfKey { return "self" }
        return state.withLockedValue { $0[key] } ?? MemberID(publicKey: key).short
    }
}

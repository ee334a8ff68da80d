import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import Hummingbird

/// What the node does when the API publishes; the node supplies it (it owns the key, the
/// taxonomy and the gossip service that pushes new entries at once).
public protocol SignalPublisher: Sendable {
    /// Publishes the JSON signal input (the CSV/JSONL import's fields); returns the signal's ID.
    func publish(json: [UInt8]) throws -> EntryID
    /// Retracts one of this node's own signals.
    func retract(_ signal: EntryID, reason: String) throws
    /// Records this node's opinion on a signal.
    func opine(_ signal: EntryID, stance: String, note: String?) throws
}

/// The API's limits and address.
public struct APIConfiguration: Sendable {
    /// Default 127.0.0.1: the API is for the platform's internal systems only.
    public var host = "127.0.0.1"
    public var port = 7421
    public var maxBodyBytes = 2 * 1024 * 1024
    /// Items in one `POST /v1/lookup`.
    public var maxBatch = 10_000
    /// Largest PDQ distance a request may ask for.
    public var maxDistance = 64
    public var defaultDistance = 31
    /// Per-token rate limit.
    public var requestsPerSecond: Double = 1000
    public var burst: Double = 2000
    /// Seconds a request may take (the event stream excepted); 503 beyond.
    public var requestTimeoutSeconds: Double = 30

    public init() {}
}

/// Everything the routes need from the node.
public struct APIEnvironment: Sendable {
    public var store: EntryStore
    public var tokens: TokenStore
    public var overrides: OverrideStore
    /// A display name for an author (asked once per author; see `AuthorLabels`).
    public let names: @Sendable (PublicKey) -> String
    public var publisher: (any SignalPublisher)?
    /// The node status as JSON (`GET /v1/status`).
    public var status: (@Sendable () async throws -> [UInt8])?
    /// Metrics for `GET /metrics`.
    public var metrics: APIMetrics
    let index: MatchIndex
    let tokenCache: TokenCache
    let overrideCache: OverrideCache
    let labels: AuthorLabels

    public init(store: EntryStore, tokens: TokenStore, names: @escaping @Sendable (PublicKey) -> String,
                publisher: (any SignalPublisher)? = nil, status: (@Sendable () async throws -> [UInt8])? = nil,
                metrics: APIMetrics = APIMetrics()) {
        self.store = store
        self.tokens = tokens
        self.overrides = OverrideStore(database: store.database)
        self.names = names
        self.publisher = publisher
        self.status = status
        self.metrics = metrics
        self.index = MatchIndex(store: store)
        self.tokenCache = TokenCache(tokens: tokens)
        self.overrideCache = OverrideCache(overrides: overrides)
        self.labels = AuthorLabels(names: names)
    }

    /// Loads the match indexes (PDQ, exact-lookup filter, trends) now, rather than on the first
    /// request; `/readyz` answers 503 meanwhile.
    /// - Returns: a one-line summary with the counts and the time taken.
    public func loadIndexes() throws -> String {
        guard let r = try index.refresh() else { return "match indexes already loaded" }
        return String(format: "match indexes loaded in %.2f s: %d pdq hashes, %d indicator keys, %d trends", r.seconds, r.pdq, r.exactKeys, r.trends)
    }
}

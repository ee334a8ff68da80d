import CoalitionCore
import CoalitionCrypto
import CoalitionQuery
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

/// The API's limits and address. Lookup limits (PDQ distances, text size) are the query
/// layer's: ``QueryService/Configuration``.
public struct APIConfiguration: Sendable {
    /// Default 127.0.0.1: the API is for the platform's internal systems only.
    public var host = "127.0.0.1"
    public var port = 7421
    public var maxBodyBytes = 2 * 1024 * 1024
    /// Items in one `POST /v1/lookup`.
    public var maxBatch = 10_000
    /// Per-token rate limit.
    public var requestsPerSecond: Double = 1000
    public var burst: Double = 2000
    /// Seconds a request may take (the event stream excepted); 503 beyond.
    public var requestTimeoutSeconds: Double = 30

    public init() {}
}

/// Everything the routes need from the node.
public struct APIEnvironment: Sendable {
    /// Lookups, views, lists, the change feed and overrides.
    public let query: QueryService
    public var tokens: TokenStore
    public var publisher: (any SignalPublisher)?
    /// The node status as JSON (`GET /v1/status`).
    public var status: (@Sendable () async throws -> [UInt8])?
    /// Metrics for `GET /metrics`.
    public var metrics: APIMetrics
    let tokenCache: TokenCache

    /// - Parameter query: the node's query layer; one is made over `store` when nil.
    public init(store: EntryStore, tokens: TokenStore, names: @escaping @Sendable (PublicKey) -> String,
                query: QueryService? = nil, publisher: (any SignalPublisher)? = nil, status: (@Sendable () async throws -> [UInt8])? = nil,
                metrics: APIMetrics = APIMetrics()) {
        self.query = query ?? QueryService(store: store, names: names)
        self.tokens = tokens
        self.publisher = publisher
        self.status = status
        self.metrics = metrics
        self.tokenCache = TokenCache(tokens: tokens)
    }

    /// Loads the match indexes now rather than on the first request; `/readyz` answers 503
    /// meanwhile.
    /// - Returns: a one-line summary with the counts and the time taken.
    public func loadIndexes() throws -> String { try query.loadIndexes() }
}

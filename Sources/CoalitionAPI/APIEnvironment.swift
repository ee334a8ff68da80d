import CoalitionActions
import CoalitionAlert
import CoalitionCore
import CoalitionCrypto
import CoalitionMedia
import CoalitionQuery
import CoalitionStore
import Foundation
import Hummingbird
import NIOPosix

/// What the node does when the API publishes; the node supplies it (it owns the key, the
/// taxonomy and the gossip service that pushes new entries at once).
public protocol SignalPublisher: Sendable {
    /// Publishes one signal as this node; returns its ID.
    /// - Throws: `CoalitionError` naming the offending field.
    func publish(_ input: SignalInput) async throws -> EntryID
    /// Retracts one of this node's own signals.
    func retract(_ signal: EntryID, reason: String) async throws
    /// Records this node's opinion on a signal.
    func opine(_ signal: EntryID, stance: String, note: String?) async throws
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
    /// Seconds a request may take (the event stream excepted); 503 beyond. Uploads get
    /// ``mediaLimits``' hashing time on top.
    public var requestTimeoutSeconds: Double = 30
    /// The largest upload to `POST /v1/hash` and `POST /v1/lookup/media` (413 beyond), read
    /// into memory and never stored.
    public var maxUploadBytes = 64 << 20
    /// Uploads read or hashed at once (503 with `Retry-After` beyond): with the upload limit,
    /// a bound on the memory uploads hold.
    public var maxConcurrentUploads = 4
    /// What decoding one upload may cost: pixels, dimensions, video length and time.
    public var mediaLimits = MediaLimits.default

    /// Seconds an upload request may take: reading the body, then hashing it.
    var uploadTimeoutSeconds: Double {
        requestTimeoutSeconds + Double(mediaLimits.timeout.components.seconds)
    }

    public init() {}
}

/// Alerting and the content bank, for `/v1/rules`, `/v1/deliveries` and `/v1/content`.
public struct APIActions: Sendable {
    public let bank: ContentBank
    public let outbox: OutboxStore
    /// The rules of the configuration file (read-only through the API).
    public let configRules: @Sendable () -> [AlertRule]

    public init(bank: ContentBank, outbox: OutboxStore, configRules: @escaping @Sendable () -> [AlertRule]) {
        self.bank = bank
        self.outbox = outbox
        self.configRules = configRules
    }
}

/// Everything the routes need from the node.
public struct APIEnvironment: Sendable {
    /// Lookups, views, lists, the change feed and overrides.
    public let query: QueryService
    public var tokens: TokenStore
    public var publisher: (any SignalPublisher)?
    /// Alerting and the content bank; their routes answer 404 without it.
    public var actions: APIActions?
    /// The node status as JSON (`GET /v1/status`).
    public var status: (@Sendable () async throws -> [UInt8])?
    /// Metrics for `GET /metrics`.
    public var metrics: APIMetrics
    /// This node's member ID and every key it has signed with, for the transparency report's
    /// local part (`GET /v1/report` answers 501 without it).
    public var identity: (@Sendable () -> (memberID: String, keys: [PublicKey]))?
    let tokenCache: TokenCache
    /// Where the routes' database work runs: never on the event loops, and apart from the
    /// thread pool on which gossip commits, so that a long commit never queues a lookup.
    let pool: NIOThreadPool

    /// - Parameter query: the node's query layer; one is made over `store` when nil.
    public init(store: EntryStore, tokens: TokenStore, names: @escaping @Sendable (PublicKey) -> String,
                query: QueryService? = nil, actions: APIActions? = nil, publisher: (any SignalPublisher)? = nil, status: (@Sendable () async throws -> [UInt8])? = nil,
                metrics: APIMetrics = APIMetrics()) {
        self.query = query ?? QueryService(store: store, names: names)
        self.tokens = tokens
        self.publisher = publisher
        self.actions = actions
        self.status = status
        self.metrics = metrics
        self.pool = .apiRequests
        self.tokenCache = TokenCache(tokens: tokens, pool: pool)
    }

    /// Runs blocking work (a query that may read SQLite, a write) on the API's thread pool.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(work)
    }

    /// Loads the match indexes now rather than on the first request; `/readyz` answers 503
    /// meanwhile.
    /// - Returns: a one-line summary with the counts and the time taken.
    public func loadIndexes() throws -> String { try query.loadIndexes() }
}

extension NIOThreadPool {
    /// The API's threads for database work. Four: SQLite readers run side by side in WAL mode,
    /// and a request waiting for the disk should not hold back the next ones.
    static let apiRequests: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()
}

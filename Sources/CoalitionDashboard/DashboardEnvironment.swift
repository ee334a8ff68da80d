import CoalitionAPI
import CoalitionCrypto
import CoalitionGossip
import CoalitionStore
import Logging

/// A member as the dashboard's members page shows it.
public struct DashboardMember: Sendable, Equatable {
    public var id: String
    public var name: String
    /// The address this node dials, when it is also a configured peer.
    public var address: String?

    public init(id: String, name: String, address: String?) {
        self.id = id
        self.name = name
        self.address = address
    }
}

/// What the node lets the dashboard change about its members; it writes the configuration
/// file and applies it as `coalition members add` and a reload do.
public protocol DashboardMembership: Sendable {
    func members() -> [DashboardMember]
    /// Accepts a member (and dials it when `address` is given). Returns a one-line summary.
    /// - Throws: `CoalitionError` naming the field at fault.
    func add(id: String, name: String, address: String?) async throws -> String
    /// Stops accepting a member; its stored entries stay.
    func remove(id: String) async throws -> String
}

/// Everything the dashboard reads and changes, from the node.
public struct DashboardEnvironment: Sendable {
    public var api: APIEnvironment
    /// This node's display name and member ID.
    public var nodeName: String
    public var nodeID: String
    /// The peers' live state, from gossip; nil when gossip cannot say.
    public var peers: @Sendable () async -> [PeerStatus]?
    public var membership: (any DashboardMembership)?
    /// Marks the session cookie `Secure`: set when the API is served over HTTPS.
    public var secureCookies: Bool
    public var logger: Logger

    public init(api: APIEnvironment, nodeName: String, nodeID: String, peers: @escaping @Sendable () async -> [PeerStatus]?,
                membership: (any DashboardMembership)?, secureCookies: Bool, logger: Logger = Logger(label: "coalition.dashboard")) {
        self.api = api
        self.nodeName = nodeName
        self.nodeID = nodeID
        self.peers = peers
        self.membership = membership
        self.secureCookies = secureCookies
        self.logger = logger
    }
}

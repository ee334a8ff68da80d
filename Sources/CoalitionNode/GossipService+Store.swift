import CoalitionGossip
import CoalitionIngest
import CoalitionStore
import Logging
import NIOPosix

extension GossipService {
    /// The gossip layer wired to a store: it reads the store for sync and relay, and hands what
    /// it receives to an ``Ingestor`` with the configuration's quota and pending limits and the
    /// registry's accepted members. The Ingestor stores on its own low-priority threads
    /// (`NIOThreadPool.ingest`); `pool` serves the sync and relay reads.
    public convenience init(wiring store: EntryStore, configuration: GossipConfiguration, identity: TLSIdentity, members: MemberRegistry,
                            pool: NIOThreadPool = .singleton, logger: Logger = Logger(label: "coalition.gossip")) {
        let policy = Ingestor.Policy(acceptedAuthors: { members.acceptedAuthors }, quotaPerMinute: configuration.quotaPerMinute,
                                     quotaBurst: configuration.quotaBurst, pendingPerAuthor: configuration.pendingPerAuthor)
        self.init(configuration: configuration, identity: identity, source: store,
                  ingest: Ingestor(store: store, policy: policy, logger: logger), members: members, pool: pool, logger: logger)
    }
}

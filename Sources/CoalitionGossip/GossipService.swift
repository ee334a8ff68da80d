import CoalitionCore
import CoalitionCrypto
import CoalitionSync
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The gossip layer as a long-running ``Service``: the TLS listener, one dialer per configured
/// peer (exponential backoff with jitter), the broadcaster that pushes every new entry to every
/// connected peer at once, and the sessions themselves. On graceful shutdown it says goodbye to
/// every peer and closes each connection with TLS close_notify.
public final class GossipService: Service, Sendable {
    let configuration: GossipConfiguration
    let members: MemberRegistry
    let source: any EntrySource
    let logger: Logger
    let ingestor: any EntryIngest
    /// This node's TLS credentials and the contexts made from them; replaced by ``adopt(_:)``.
    private struct Credentials {
        var identity: TLSIdentity
        var server: NIOSSLContext
        var client: NIOSSLContext
    }
    private let credentials: NIOLockedValueBox<Credentials?>
    private let initialIdentity: TLSIdentity
    private let expectedSuccessor = NIOLockedValueBox<PublicKey?>(nil)
    private let group: any EventLoopGroup
    private let pool: NIOThreadPool

    private struct State {
        var sessions: [PublicKey: PeerSession] = [:]
        var peers: [PublicKey: GossipConfiguration.Peer] = [:]
        var lastErrors: [PublicKey: String] = [:]
        var history: [PublicKey: PeerStatus] = [:]
        var counters = GossipCounters()
        var nextSerial: UInt64 = 0
        var boundPort: Int?
        var shuttingDown = false
    }
    private let state: NIOLockedValueBox<State>
    private let broadcastBell: AsyncStream<Void>.Continuation
    private let broadcastRings: AsyncStream<Void>
    private let peersBell: AsyncStream<Void>.Continuation
    private let peersRings: AsyncStream<Void>
    private let bound: NIOLockedValueBox<[CheckedContinuation<Int, any Error>]>
    /// Accepts that failed for lack of file descriptors, on every listener that shares it.
    public let acceptFailures = NIOLockedValueBox(0)
    /// The accepted connections this process may hold, shared with the HTTP API's listener.
    public let connectionBudget = ConnectionBudget()

    /// - Parameters:
    ///   - identity: this node's TLS credentials (from its member key).
    ///   - source: the node's entries, read for sync and relay.
    ///   - ingest: where received entries go.
    ///   - members: the accepted members; replaced on reload.
    public init(configuration: GossipConfiguration, identity: TLSIdentity, source: any EntrySource, ingest: any EntryIngest, members: MemberRegistry,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, pool: NIOThreadPool = .singleton,
                logger: Logger = Logger(label: "coalition.gossip")) {
        self.configuration = configuration
        self.initialIdentity = identity
        self.credentials = NIOLockedValueBox(nil)
        self.source = source
        self.members = members
        self.group = group
        self.pool = pool
        self.logger = logger
        self.ingestor = ingest
        var s = State()
        for p in configuration.peers { s.peers[p.key] = p }
        self.state = NIOLockedValueBox(s)
        (broadcastRings, broadcastBell) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        (peersRings, peersBell) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.bound = NIOLockedValueBox([])
    }

    // MARK: Service

    public func run() async throws {
        let made = Credentials(identity: initialIdentity, server: try initialIdentity.makeServerContext(),
                               client: try initialIdentity.makeClientContext())
        credentials.withLockedValue { $0 = $0 ?? made }
        await refreshSuccession()
        let server = try await bind()
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.accept(server) }
                group.addTask { await self.superviseDialers() }
                group.addTask { try await self.broadcast() }
                group.addTask { try await self.followCommits() }
                group.addTask { try await self.tick() }
                try? await gracefulShutdown()
                await self.closeAll()
                group.cancelAll()
            }
        } catch is CancellationError {
            // The loops stop by cancellation once the sessions are closed.
        }
        logger.info("gossip stopped")
    }

    /// The port the listener is bound to, once it is (useful with port 0).
    public func listeningPort() async throws -> Int {
        if let p = state.withLockedValue({ $0.boundPort }) { return p }
        return try await withCheckedThrowingContinuation { c in
            let ready = state.withLockedValue { $0.boundPort }
            if let ready { c.resume(returning: ready) } else { bound.withLockedValue { $0.append(c) } }
        }
    }

    // MARK: control

    /// Re-reads peers and members: new peers are dialed, removed ones and removed members are
    /// disconnected.
    public func reload(peers: [GossipConfiguration.Peer], members newMembers: [PublicKey: String]) {
        members.replace(with: newMembers)
        let dropped: [PeerSession] = state.withLockedValue { s in
            s.peers = Dictionary(peers.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
            return s.sessions.values.filter { !self.members.isMember($0.peer) }
        }
        for session in dropped { session.close(WireError(.notAMember, "no longer a member of this node's configuration")) }
        peersBell.yield()
        logger.info("configuration reloaded", metadata: ["peers": "\(peers.count)", "members": "\(newMembers.count)"])
    }

    /// The hello this node sends: its current member key.
    var hello: WireMessage.Hello {
        let key = credentials.withLockedValue { $0?.identity.memberKey } ?? initialIdentity.memberKey
        return WireMessage.Hello(member: key, maxFrameBytes: UInt32(configuration.maxFrameBytes))
    }

    /// Takes a new identity after this node's key rotation: new connections present it, and
    /// every open one is closed so that it reconnects with it (the peers accept the new key
    /// because the rotation entry, pushed before, or the certificate's proof names it).
    /// - Throws: `CoalitionError(.configuration)` if the TLS stack refuses the new key.
    public func adopt(_ identity: TLSIdentity) throws {
        let made = Credentials(identity: identity, server: try identity.makeServerContext(), client: try identity.makeClientContext())
        credentials.withLockedValue { $0 = made }
        members.adoptSelfKey(identity.memberKey)
        let sessions = state.withLockedValue { Array($0.sessions.values) }
        for session in sessions { session.close(WireError(.shuttingDown, "this node rotated its key; reconnecting with the new one")) }
        logger.notice("gossip identity replaced after a key rotation", metadata: ["member.id": "\(MemberID(publicKey: identity.memberKey))",
                                                                             "peers.closed": "\(sessions.count)"])
    }

    /// Announces that this node itself is about to rotate to `key`, so that seeing its own key
    /// retired is not taken for a theft.
    public func expectOwnRotation(to key: PublicKey) {
        expectedSuccessor.withLockedValue { $0 = key }
    }

    /// Reads the rotations in the store into the registry, and closes the sessions of keys that
    /// they retire.
    func refreshSuccession() async {
        guard let pairs = try? await read({ try $0.keyRotations() }), !pairs.isEmpty else { return }
        let retired = members.learn(KeySuccession(pairs))
        guard !retired.isEmpty else { return }
        let own = members.selfKey
        if retired.contains(own), members.succession.current(of: own) != expectedSuccessor.withLockedValue({ $0 }) {
            logger.critical("this node's own key was rotated by an entry it did not make; it can no longer sign. If no one of this platform rotated it, the key is compromised: see docs/key-rotation.md",
                            metadata: ["member.id": "\(MemberID(publicKey: members.selfKey))"])
        }
        let set = Set(retired)
        let sessions = state.withLockedValue { s in s.sessions.values.filter { set.contains($0.peer) } }
        for session in sessions { session.close(WireError(.notAMember, "this key was rotated; its successor speaks for the member now")) }
        peersBell.yield()
    }

    /// New local entries were written (by the CLI, through the store): push them now.
    public func entriesApplied() {
        broadcastBell.yield()
    }

    /// Status of every configured or connected peer, and the node's counters.
    public func status() async throws -> (peers: [PeerStatus], counters: GossipCounters) {
        let heads = try await localHeads()
        return state.withLockedValue { s in
            let configured = Dictionary(s.peers.values.map { (members.current(of: $0.key), $0) }, uniquingKeysWith: { a, _ in a })
            var keys = Set(configured.keys).union(s.sessions.keys).union(s.history.keys)
            keys.remove(members.selfKey)
            // A retired key's history row is its successor's past: show the member once.
            keys = keys.filter { !members.succession.isRetired($0) || s.sessions[$0] != nil }
            let list = keys.sorted().map { key -> PeerStatus in
                var st: PeerStatus
                if let session = s.sessions[key], session.established.withLockedValue({ $0 }) {
                    st = session.status
                    st.connected = true
                    st.direction = session.direction.rawValue
                    st.behind = session.queue.knowledge().behind(local: heads)
                } else {
                    st = s.history[key] ?? PeerStatus(id: "\(MemberID(publicKey: key))", name: members.name(of: key), address: nil)
                    st.connected = false
                    st.direction = nil
                }
                st.name = members.name(of: key)
                if let p = configured[key] { st.address = "\(p.host):\(p.port)" }
                if let e = s.lastErrors[key] { st.lastError = e }
                return st
            }
            return (list, s.counters)
        }
    }

    // MARK: internals used by sessions

    func localHeads() async throws -> [LocalHead] {
        try await read { try $0.localHeads() }
    }

    /// Runs blocking store work off the event loops.
    func read<T: Sendable>(_ body: @escaping @Sendable (any EntrySource) throws -> T) async throws -> T {
        let source = self.source
        return try await pool.runIfActive { try body(source) }
    }

    /// Keeps one session per peer. When both nodes dial each other, the connection dialed by the
    /// node with the smaller key wins, on both sides alike.
    func register(_ session: PeerSession) -> Bool {
        let (keep, loser): (Bool, PeerSession?) = state.withLockedValue { s in
            guard !s.shuttingDown else { return (false, nil) }
            guard let existing = s.sessions[session.peer], existing !== session else {
                s.sessions[session.peer] = session
                return (true, nil)
            }
            let me = members.selfKey
            func dialer(_ x: PeerSession) -> PublicKey { x.direction == .outbound ? me : x.peer }
            let newWins = dialer(session) == dialer(existing) ? true : dialer(session) < dialer(existing)
            if newWins {
                s.sessions[session.peer] = session
                return (true, existing)
            }
            return (false, nil)
        }
        loser?.close(WireError(.duplicateConnection, "a newer connection with this peer is kept"))
        return keep
    }

    func unregister(_ session: PeerSession) {
        state.withLockedValue { s in
            if s.sessions[session.peer] === session {
                s.sessions[session.peer] = nil
            }
            if session.established.withLockedValue({ $0 }) {
                var st = session.status
                st.connected = false
                s.history[session.peer] = st
            }
        }
    }

    func account(_ outcome: IngestOutcome) {
        state.withLockedValue { s in
            s.counters.notAMember += UInt64(outcome.notAMember)
            s.counters.quotaDeferred += UInt64(outcome.deferred)
            s.counters.duplicates += UInt64(outcome.duplicates)
            s.counters.applied += UInt64(outcome.applied)
        }
        if outcome.notAMember > 0 { logger.info("refused \(outcome.notAMember) entries by authors that are not accepted members") }
        if outcome.deferred > 0 { logger.notice("deferred \(outcome.deferred) entries beyond the per-author ingest quota") }
    }

    func countViolation(_ code: WireError.Code) {
        state.withLockedValue {
            $0.counters.protocolViolations += 1
            $0.counters.violationsByCode[code.name, default: 0] += 1
        }
    }
    func countUnknown() { state.withLockedValue { $0.counters.unknownMessages += 1 } }

    /// Sends a fork proof for `author` at `seq` to every peer.
    func announceFork(author: PublicKey, seq: UInt64) async {
        guard let rows = try? await read({ try $0.entries(of: author, from: seq, to: seq, limit: 2) }), rows.count == 2 else { return }
        logger.warning("author equivocates: two entries at one seq", metadata: ["entry.author": "\(MemberID(publicKey: author))", "entry.seq": "\(seq)"])
        for session in state.withLockedValue({ Array($0.sessions.values) }) {
            session.queue.send(.forkProof(rows[0].bytes, rows[1].bytes))
        }
    }

    // MARK: listener and dialers

    private typealias Accepted = (NIOAsyncChannel<InboundFrame, ByteBuffer>, EventLoopFuture<PublicKey>, WireByteCounter)

    private func bind() async throws -> NIOAsyncChannel<Accepted, Never> {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { [logger, self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptOverloadHandler(listener: "gossip", logger: logger, failures: self.acceptFailures,
                                                                                         budget: self.connectionBudget),
                                                                   position: .first)
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.listenHost, port: configuration.listenPort) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.configurePipeline(channel, tls: NIOSSLServerHandler.self, expected: nil)
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.listenPort
        let waiting = state.withLockedValue { s -> [CheckedContinuation<Int, any Error>] in
            s.boundPort = port
            return bound.withLockedValue { w in defer { w.removeAll() }; return w }
        }
        for c in waiting { c.resume(returning: port) }
        logger.info("gossip listening", metadata: ["listen.address": "\(configuration.listenHost):\(port)", "member.id": "\(MemberID(publicKey: members.selfKey))"])
        return server
    }

    private func configurePipeline(_ channel: any Channel, tls: Any.Type, expected: PublicKey?) throws -> Accepted {
        guard let credentials = credentials.withLockedValue({ $0 }) else {
            throw CoalitionError(.configuration, "gossip has no TLS credentials yet")
        }
        let waiter = PeerIdentityHandler(eventLoop: channel.eventLoop, timeout: .milliseconds(Int64(configuration.handshakeTimeout * 1000)))
        let verify = waiter.verifier(members: members, expected: expected, logger: logger) { [weak self] in
            self?.state.withLockedValue { $0.counters.refusedConnections += 1 }
        }
        let sync = channel.pipeline.syncOperations
        let counter = WireByteCounter()
        try sync.addHandler(counter)
        if expected == nil {
            try sync.addHandler(NIOSSLServerHandler(context: credentials.server, customVerificationCallback: verify))
        } else {
            try sync.addHandler(try NIOSSLClientHandler(context: credentials.client, serverHostname: nil, customVerificationCallback: verify))
        }
        try sync.addHandler(waiter)
        try sync.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameBytes: configuration.maxFrameBytes)))
        let async = try NIOAsyncChannel<InboundFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
        return (async, waiter.identity.futureResult, counter)
    }

    private func accept(_ server: NIOAsyncChannel<Accepted, Never>) async throws {
        try await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await (channel, identity, counter) in inbound {
                    group.addTask {
                        let remote = channel.channel.remoteAddress.map { "\($0)" } ?? "?"
                        do {
                            let key = try await identity.get()
                            await self.runSession(channel, peer: key, direction: .inbound, counter: counter)
                        } catch let error as WireError where error.code == .truncated {
                            // A TCP probe (load balancer, Kubernetes) that closes before TLS.
                            self.logger.debug("inbound connection from \(remote) closed before the TLS handshake")
                            try? await channel.channel.close()
                        } catch {
                            self.logger.notice("refused inbound connection from \(remote): \(error)")
                            try? await channel.channel.close()
                        }
                    }
                }
            }
        }
    }

    private func superviseDialers() async {
        await withDiscardingTaskGroup { group in
            var running = Set<PublicKey>()
            let starts = { () -> [GossipConfiguration.Peer] in
                self.state.withLockedValue { s in Array(s.peers.values) }.filter { !running.contains($0.key) }
            }
            for p in starts() {
                running.insert(p.key)
                group.addTask { await self.dial(p.key) }
            }
            for await _ in peersRings {
                for p in starts() {
                    running.insert(p.key)
                    group.addTask { await self.dial(p.key) }
                }
                running = running.filter { key in self.state.withLockedValue { $0.peers[key] != nil } }
            }
        }
    }

    /// Dials one peer for as long as it is configured, reconnecting with backoff.
    private func dial(_ key: PublicKey) async {
        var backoff = Backoff(base: 0.25, cap: configuration.reconnectMaxSeconds)
        let id = MemberID(publicKey: key)
        while !Task.isCancelled {
            guard let peer = state.withLockedValue({ $0.shuttingDown ? nil : $0.peers[key] }) else { return }
            // After a rotation the member's session is keyed by its successor.
            let now = members.current(of: key)
            let connected = state.withLockedValue { $0.sessions[now] != nil }
            if !connected {
                do {
                    let (channel, identity, counter) = try await ClientBootstrap(group: group)
                        .connectTimeout(.seconds(5))
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .connect(host: peer.host, port: peer.port) { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try self.configurePipeline(channel, tls: NIOSSLClientHandler.self, expected: key)
                            }
                        }
                    let proven = try await identity.get()
                    let established = await runSession(channel, peer: proven, direction: .outbound, counter: counter)
                    if established { backoff.reset() }
                } catch {
                    state.withLockedValue { $0.lastErrors[key] = "\(error)" }
                    logger.info("cannot reach peer \(id.short) at \(peer.host):\(peer.port): \(error)", metadata: ["peer.id": "\(id)"])
                }
            } else {
                backoff.reset()
            }
            let delay = connected ? 1.0 : backoff.nextDelay(random: Double.random(in: 0..<1))
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        }
    }

    /// Runs a session to its end; returns whether it got past hello.
    @discardableResult
    private func runSession(_ channel: NIOAsyncChannel<InboundFrame, ByteBuffer>, peer: PublicKey, direction: PeerSession.Direction, counter: WireByteCounter) async -> Bool {
        let session: PeerSession? = state.withLockedValue { s in
            guard !s.shuttingDown else { return nil }
            s.nextSerial += 1
            return PeerSession(peer: peer, direction: direction, serial: s.nextSerial, service: self, counter: counter)
        }
        guard let session else {
            try? await channel.channel.close()
            return false
        }
        await session.run(channel)
        unregister(session)
        let established = session.established.withLockedValue { $0 }
        if let e = session.status.lastError { state.withLockedValue { $0.lastErrors[peer] = e } }
        return established
    }

    // MARK: broadcasting

    /// Pushes every entry stored after start-up (received, relayed or published locally) to
    /// every connected peer that may lack it.
    private func broadcast() async throws {
        var cursor = try await read { try $0.lastLocalSeq() }
        for await _ in broadcastRings {
            // First the cheap question, once per ring: can any connected peer lack anything? Not
            // when each already holds every author's head, as when the only peer is the one all
            // of it came from (a bootstrap). Entries up to `last` are covered by heads read after.
            let (last, heads) = try await read { (try $0.lastLocalSeq(), try $0.localHeads()) }
            guard last > cursor else { continue }
            let connected = state.withLockedValue { Array($0.sessions.values) }.filter { $0.established.withLockedValue { $0 } }
            guard connected.contains(where: { $0.queue.mayLackAny(heads.lazy.map { ($0.author, $0.seq) }) }) else {
                cursor = last
                continue
            }
            while true {
                let from = cursor
                // Headers first: the bytes are read only for entries some peer may lack.
                let headers = try await read { try $0.entryHeaders(after: from, limit: 4096) }
                guard let last = headers.last else { break }
                cursor = last.localSeq
                let sessions = state.withLockedValue { Array($0.sessions.values) }
                    .filter { $0.established.withLockedValue { $0 } && $0.queue.mayLackAny(headers) }
                if !sessions.isEmpty {
                    let rows = try await read { try $0.entries(after: from, limit: headers.count) }
                    let items = rows.compactMap { row -> (author: PublicKey, seq: UInt64, bytes: [UInt8])? in
                        EntryHeader(peeking: row.1).map { ($0.author, $0.seq, row.1) }
                    }
                    for session in sessions { session.queue.push(items) }
                }
                if headers.count < 4096 { break }
            }
        }
    }

    /// Rings the broadcaster after every commit that stored entries: the store pushes them (its
    /// commit feed, which also notices the CLI's writes), so nothing here polls the database.
    private func followCommits() async throws {
        var cursor = try await read { try $0.lastLocalSeq() }
        while !Task.isCancelled {
            let newest = await source.waitForEntries(after: cursor, timeout: .seconds(1))
            if newest > cursor {
                cursor = newest
                broadcastBell.yield()
                await refreshSuccession()
            }
        }
    }

    /// Once a second: ends a bulk bootstrap that has gone idle.
    private func tick() async throws {
        while true {
            try await Task.sleep(for: .seconds(1))
            await ingestor.endBootstrap(owner: nil)
        }
    }

    private func closeAll() async {
        let sessions = state.withLockedValue { s -> [PeerSession] in
            s.shuttingDown = true
            return Array(s.sessions.values)
        }
        logger.info("shutting down gossip", metadata: ["peers.connected": "\(sessions.count)"])
        for session in sessions { session.close(WireError(.shuttingDown, "the node is shutting down")) }
        peersBell.finish()
        broadcastBell.finish()
        // Give the goodbyes a moment to flush; sessions end as their peers close.
        for _ in 0..<40 where state.withLockedValue({ !$0.sessions.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}

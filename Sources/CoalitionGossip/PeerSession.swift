import CoalitionCore
import CoalitionCrypto
import CoalitionSync
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// One live, authenticated connection with a peer. It runs three loops until the connection
/// ends: reading (the ``PeerProtocol`` state machine turns frames into actions), writing (the
/// ``OutboundQueue`` in priority order, sync ranges read from the store chunk by chunk), and a
/// timer (keep-alive and periodic anti-entropy).
final class PeerSession: Sendable {
    /// Which side dialed.
    enum Direction: String, Sendable { case inbound, outbound }

    let peer: PublicKey
    let direction: Direction
    let queue: OutboundQueue
    let serial: UInt64
    let established = NIOLockedValueBox<Bool>(false)
    private let counters: NIOLockedValueBox<PeerStatus>
    private let lastHeard = NIOLockedValueBox<Date>(Date())
    private let peerFrameLimit = NIOLockedValueBox<Int>(WireLimits.minFrameBytes)
    private let closeReason = NIOLockedValueBox<WireError?>(nil)
    private let goodbyeSent = NIOLockedValueBox<Bool>(false)
    private unowned(unsafe) let service: GossipService
    private let logger: Logger

    private let wire: WireByteCounter

    init(peer: PublicKey, direction: Direction, serial: UInt64, service: GossipService, counter: WireByteCounter) {
        self.wire = counter
        self.peer = peer
        self.direction = direction
        self.serial = serial
        self.service = service
        self.queue = OutboundQueue(limit: service.configuration.peerQueueBytes)
        var logger = service.logger
        logger[metadataKey: "peer.id"] = "\(MemberID(publicKey: peer))"
        logger[metadataKey: "peer.name"] = "\(service.members.name(of: peer))"
        self.logger = logger
        self.counters = NIOLockedValueBox(PeerStatus(id: "\(MemberID(publicKey: peer))", name: service.members.name(of: peer), address: nil))
    }

    /// The status counters (connection state is filled in by the service).
    var status: PeerStatus {
        var s = counters.withLockedValue { $0 }
        (s.tlsBytesIn, s.tlsBytesOut) = wire.totals
        return s
    }

    /// Asks the session to end: says goodbye, then closes (TLS close_notify).
    func close(_ error: WireError) {
        closeReason.withLockedValue { $0 = $0 ?? error }
        queue.send(.goodbye(error.code, error.message))
    }

    /// Runs the connection until it ends. Errors are logged and recorded, not thrown.
    func run(_ channel: NIOAsyncChannel<InboundFrame, ByteBuffer>) async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                let heads = try await service.localHeads()
                queue.send(.hello(service.hello))
                queue.send(.heads(HeadsSummary(local: heads)))
                do {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await self.receive(inbound) }
                        group.addTask { try await self.writeLoop(outbound) }
                        group.addTask { try await self.timerLoop() }
                        try await group.next()
                        group.cancelAll()
                    }
                } catch let error as WireError {
                    // Our verdict on the peer: tell it why, then close.
                    record(error)
                    if !goodbyeSent.withLockedValue({ $0 }) {
                        let goodbye = WireMessage.goodbye(error.code, error.message).frame()
                        try? await outbound.write(ByteBuffer(bytes: goodbye))
                    }
                    if error.code != .shuttingDown && error.code != .duplicateConnection {
                        service.countViolation(error.code)
                        logger.warning("dropping peer: \(error)")
                    }
                }
            }
        } catch {
            record(WireError(.truncated, "\(error)", underlying: error))
            logger.info("connection ended: \(error)")
        }
        queue.close()
        await service.ingestor.endBootstrap(owner: serial)
    }

    private func record(_ error: WireError) {
        counters.withLockedValue { $0.lastError = error.description }
    }

    // MARK: reading

    /// Reading and storing run as a two-stage pipeline: the reader verifies frame *n*+1 on all
    /// cores while earlier frames commit. Up to ``committingFrames`` verified frames wait, and
    /// the committer stores everything waiting in one transaction (see ``EntryIngest/commit(_:)``).
    /// When the peer closes, what it sent is committed before the session ends.
    private func receive(_ inbound: NIOAsyncChannelInboundStream<InboundFrame>) async throws {
        let handoff = CommitHandoff<PreparedFrame>(capacity: Self.committingFrames)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { handoff.finishInput() }
                try await self.readLoop(inbound) { prepared in
                    _ = await handoff.push(prepared)
                }
            }
            group.addTask {
                defer { handoff.close() }
                var gaps = GapRequests()
                while let waiting = await handoff.takeAll() {
                    do {
                        try await self.commit(waiting, gaps: &gaps)
                        // Our own slow commits must not count as the peer's silence.
                        self.lastHeard.withLockedValue { $0 = Date() }
                    } catch let error as WireError {
                        // The reader may be waiting on the socket, which cancellation does not
                        // interrupt: say goodbye through the writer, which then ends the session.
                        self.close(error)
                        return
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Verified frames that may wait for the committer (each at most a 256 KiB batch).
    static let committingFrames = 8

    private func readLoop(_ inbound: NIOAsyncChannelInboundStream<InboundFrame>,
                          submit: (PreparedFrame) async -> Void) async throws {
        var proto = PeerProtocol(localHello: service.hello, authenticatedKey: peer)
        for try await frame in inbound {
            lastHeard.withLockedValue { $0 = Date() }
            counters.withLockedValue { $0.bytesIn += UInt64(frame.byteCount) }
            switch proto.receive(frame.message) {
            case .none:
                break
            case .established(let hello):
                peerFrameLimit.withLockedValue { $0 = Int(min(hello.maxFrameBytes, UInt32(service.configuration.maxFrameBytes))) }
                guard service.register(self) else {
                    throw WireError(.duplicateConnection, "another connection with this peer is kept")
                }
                established.withLockedValue { $0 = true }
                logger.info("peer connected", metadata: ["peer.direction": "\(direction.rawValue)", "peer.version": "\(hello.version)"])
            case .sendMissing(let summary):
                let heads = try await service.localHeads()
                if summary.replyRequested { queue.send(.heads(HeadsSummary(local: heads))) }
                let plan = SyncPlanner.plan(local: heads, peer: summary)
                queue.noteHeld(plan.peerSeqs)
                queue.addRanges(plan.ranges)
                counters.withLockedValue {
                    $0.lastSync = Int64(Date().timeIntervalSince1970 * 1000)
                    $0.ahead = plan.peerAhead
                }
                if heads.isEmpty { await service.ingestor.beginBootstrap(owner: serial, expecting: plan.peerAhead) }
                if !plan.ranges.isEmpty {
                    logger.debug("sync: sending \(plan.entriesToSend) entries of \(plan.ranges.count) authors")
                }
            case .ingest(let list):
                counters.withLockedValue { $0.entriesIn += UInt64(list.count) }
                var held: [PublicKey: UInt64] = [:]
                for bytes in list {
                    if let h = EntryHeader(peeking: bytes) { held[h.author] = max(held[h.author] ?? 0, h.seq) }
                }
                queue.noteHeld(held)
                let prepared = try await service.ingestor.prepare(list, from: peer)
                // A violation found before storing ends the session at once.
                if let violation = prepared.outcome.violation { throw violation }
                await submit(prepared)
            case .serveRange(let author, let from, let to):
                queue.addRanges([SendRange(author: author, from: from, to: to, allBranches: true)])
            case .storeForkProof(let a, let b, let author, let seq):
                logger.notice("received a fork proof", metadata: ["entry.author": "\(MemberID(publicKey: author))", "entry.seq": "\(seq)"])
                let prepared = try await service.ingestor.prepare([a, b], from: peer)
                if let violation = prepared.outcome.violation { throw violation }
                await submit(prepared)
            case .send(let message):
                queue.send(message)
            case .ignored(let type):
                service.countUnknown()
                logger.debug("ignored a message of unknown type \(type)")
            case .close(let error):
                throw error
            case .peerClosed(let code, let reason):
                logger.info("peer said goodbye: \(code): \(reason)")
                record(WireError(code, "peer closed: \(reason)"))
                return
            }
        }
    }

    private func commit(_ prepared: [PreparedFrame], gaps: inout GapRequests) async throws {
        let outcome = try await service.ingestor.commit(prepared)
        service.account(outcome)
        if let violation = outcome.violation { throw violation }
        for r in gaps.requests(for: outcome.gaps) {
            queue.send(.rangeRequest(author: r.author, from: r.from, to: r.to))
            counters.withLockedValue { $0.rangeRequests += 1 }
        }
        if outcome.applied > 0 { service.entriesApplied() }
        for fork in outcome.newEquivocations {
            await service.announceFork(author: fork.author, seq: fork.seq)
        }
    }

    // MARK: writing

    private func write(_ message: WireMessage, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        let frame = message.frame()
        counters.withLockedValue { $0.bytesOut += UInt64(frame.count) }
        try await outbound.write(ByteBuffer(bytes: frame))
    }

    private func writeLoop(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        for await _ in queue.doorbell {
            while let work = queue.next(maxPushBytes: batchLimit) {
                switch work {
                case .message(let m):
                    try await write(m, to: outbound)
                    if case .goodbye(let code, let reason) = m {
                        goodbyeSent.withLockedValue { $0 = true }
                        throw WireError(code, reason)
                    }
                case .pushes(let list):
                    counters.withLockedValue { $0.entriesOut += UInt64(list.count) }
                    try await write(.entries(list), to: outbound)
                case .digestSync:
                    counters.withLockedValue { $0.queueOverflows += 1 }
                    logger.notice("peer is too slow; outbound queue dropped, falling back to digest sync")
                    let heads = try await service.localHeads()
                    try await write(.heads(HeadsSummary(local: heads, replyRequested: true)), to: outbound)
                case .sync(let range):
                    try await sendChunk(of: range, to: outbound)
                }
            }
        }
    }

    private var batchLimit: Int { min(WireLimits.batchTargetBytes, peerFrameLimit.withLockedValue { $0 } - 1024) }

    /// Sends the next chunk of a sync range and puts the rest back in the queue.
    private func sendChunk(of range: SendRange, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        let chunkLimit = 2048
        var rows = try await service.read { store in try store.entries(of: range.author, from: range.from, to: range.to, limit: chunkLimit) }
        var next: UInt64? = nil
        if rows.count == chunkLimit, let last = rows.last?.seq {
            // Keep every branch of the last seq together in the next chunk.
            if rows.first!.seq != last { rows.removeAll { $0.seq == last } }
            next = rows.last!.seq + 1
        }
        if let prefix = range.peerHeadPrefix {
            // The peer's head: skip it if the peer holds this very entry.
            rows.removeAll { $0.seq == range.from && HeadsSummary.prefix(EntryHeader.id(of: $0.bytes).bytes) == prefix }
        }
        var batch: [[UInt8]] = []
        var bytes = 0
        for row in rows {
            if !batch.isEmpty && bytes + row.bytes.count + 4 > batchLimit {
                counters.withLockedValue { $0.entriesOut += UInt64(batch.count) }
                try await write(.entries(batch), to: outbound)
                batch.removeAll(keepingCapacity: true)
                bytes = 0
            }
            batch.append(row.bytes)
            bytes += row.bytes.count + 4
        }
        if !batch.isEmpty {
            counters.withLockedValue { $0.entriesOut += UInt64(batch.count) }
            try await write(.entries(batch), to: outbound)
        }
        if let next, next <= range.to {
            var rest = range
            rest.from = next
            rest.peerHeadPrefix = nil
            queue.resume(rest)
        }
    }

    // MARK: timers

    private func timerLoop() async throws {
        let keepAlive = service.configuration.keepAliveInterval
        let antiEntropy = service.configuration.antiEntropyInterval
        var lastKeepAlive = Date()
        var lastAntiEntropy = Date()
        let tick = min(keepAlive, antiEntropy, 1.0)
        while true {
            try await Task.sleep(for: .milliseconds(Int(tick * 1000)))
            let now = Date()
            if now.timeIntervalSince(lastHeard.withLockedValue { $0 }) > 3 * keepAlive {
                throw WireError(.timeout, "no message for \(Int(3 * keepAlive)) s")
            }
            guard established.withLockedValue({ $0 }) else { continue }
            if now.timeIntervalSince(lastKeepAlive) >= keepAlive {
                lastKeepAlive = now
                queue.send(.keepAlive(nonce: UInt64.random(in: 0...UInt64.max), reply: true))
            }
            if now.timeIntervalSince(lastAntiEntropy) >= antiEntropy {
                lastAntiEntropy = now
                queue.send(.heads(HeadsSummary(local: try await service.localHeads())))
            }
        }
    }
}

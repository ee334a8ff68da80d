import CoalitionTestSupport
import CoalitionCore
import CoalitionCrypto
@testable import CoalitionGossip
@testable import CoalitionSync
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// A member whose node misbehaves: it speaks TLS and hello correctly, then sends bad entries or
/// an oversized frame to a real node process. The node must drop it, store nothing it sent, and
/// keep serving its other peers.
@Suite(.serialized) struct BadPeerTests {
    static let evil = try! Signer(seed: [UInt8](repeating: 0xba, count: 32))

    /// Connects as `signer`, says hello, sends `frames`, and returns what the node sent until it
    /// closed the connection (at most 120 s). The client has an event loop of its own: the
    /// process-wide one is shared with in-process tests, which can keep it busy on a loaded
    /// machine while the node's silence limit runs.
    static func session(port: Int, signer: Signer, frames: [[UInt8]]) async throws -> [WireMessage] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let identity = try TLSIdentity(signer: signer, name: "evil")
        let context = try NIOSSLContext(configuration: identity.configuration(server: false))
        let channel = try await ClientBootstrap(group: group)
            .connect(host: "127.0.0.1", port: port) { ch in
                ch.eventLoop.makeCompletedFuture {
                    let verify: NIOSSLCustomVerificationCallback = { _, p in p.succeed(.certificateVerified) }
                    try ch.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil, customVerificationCallback: verify))
                    try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maxFrameBytes: 8 << 20)))
                    return try NIOAsyncChannel<InboundFrame, ByteBuffer>(wrappingChannelSynchronously: ch)
                }
            }
        return try await withThrowingTaskGroup(of: [WireMessage]?.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, _ in
                    // Written straight to the channel, all at once: awaiting each write would need
                    // this task to be scheduled between frames, and on a loaded machine (the
                    // whole suite on two cores) it could wait longer than the node's 15 s
                    // silence limit. The node may close before every byte is written (it refuses
                    // an oversized frame on its length alone); what it answered is read below.
                    let raw = channel.channel
                    raw.write(ByteBuffer(bytes: WireMessage.hello(.init(member: signer.publicKey)).frame()), promise: nil)
                    for f in frames { raw.write(ByteBuffer(bytes: f), promise: nil) }
                    raw.flush()
                    var received: [WireMessage] = []
                    do { for try await frame in inbound { received.append(frame.message) } } catch {}
                    return received
                }
            }
            group.addTask {
                try await Task.sleep(for: .seconds(120))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            try? await channel.channel.close()
            guard let first else { Issue.record("the node did not close the connection"); return [] }
            return first
        }
    }

    static func entry(seq: UInt64, prev: EntryID = .zero, at: Int64 = 1_700_000_000_000, by signer: Signer = evil) throws -> Entry {
        try Entry.sign(by: signer, seq: seq, prev: prev, timestamp: at,
                       body: .opinion(Opinion(target: try EntryID(bytes: [UInt8](repeating: UInt8(seq), count: 32)), stance: .seen)))
    }

    @Test func misbehavingPeersAreDroppedAndNothingTheySentIsStored() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            // A silence limit (3 × keepAlive) well beyond what a loaded machine can delay a frame by:
            // each session must end with A's verdict on what it received, never with a timeout.
            try a.editConfiguration(replacing: "keepAliveSeconds: 5", with: "keepAliveSeconds: 30")
            let b = try mesh.add("B")
            try mesh.link("B", "A")
            try a.cli(["members", "add", MemberID(publicKey: Self.evil.publicKey).description, "--name", "evil"]).check()
            try a.start()
            try b.start()
            try a.publish("#Baseline")
            try eventually("B syncs the baseline") { try b.status().entries == 1 }

            let good1 = try Self.entry(seq: 1)
            var badSignature = good1.bytes
            badSignature[badSignature.count - 1] ^= 0x01
            // Signed by the evil key, but claiming B's key as author.
            var forged = good1.bytes
            let bKey = try MemberID(parsing: b.id).publicKey
            forged.replaceSubrange(1..<33, with: bKey.bytes)
            // Seq 3 linked to seq 1: a valid first entry, then a broken chain, in one batch.
            let broken = try Self.entry(seq: 3, prev: good1.id)
            var oversized = WireWriter()
            oversized.u32(5 * 1024 * 1024)
            oversized.u8(3)
            oversized.raw([UInt8](repeating: 0, count: 1024))

            let attacks: [(String, [UInt8], WireError.Code)] = [
                ("bad signature", WireMessage.entries([badSignature]).frame(), .invalidEntry),
                ("forged author", WireMessage.entries([forged]).frame(), .invalidEntry),
                ("broken chain", WireMessage.entries([good1.bytes, broken.bytes]).frame(), .invalidEntry),
                ("oversized frame", oversized.bytes, .frameTooLarge),
                ("undecodable entry", WireMessage.entries([[UInt8](repeating: 2, count: 200)]).frame(), .invalidEntry),
                ("entry count beyond the frame", WireMessage.entries([[1, 2, 3]]).frame(), .truncated),
            ]
            for (name, frame, code) in attacks {
                let received = try await Self.session(port: a.port, signer: Self.evil, frames: [frame])
                guard case .goodbye(let got, let reason)? = received.last else {
                    Issue.record("\(name): expected a goodbye, got \(received.map(\.typeByte))")
                    continue
                }
                #expect(got == code, "\(name): \(reason)")
                #expect(try a.status().entries == 1, "\(name): nothing the bad peer sent is stored")
            }
            let status = try a.status()
            #expect(status.counters.protocolViolations >= UInt64(attacks.count))
            #expect(status.counters.violationsByCode["invalid-entry"] ?? 0 >= 4 && status.counters.violationsByCode["frame-too-large"] == 1)
            #expect(a.log().contains("dropping peer"))

            // A keeps serving its good peer.
            try a.publish("#AfterTheAttacks")
            try eventually("B still receives A's new signal") { try b.status().entries == 2 }
            #expect(try b.status().peers.first { $0.id == a.id }?.connected == true)
        }
    }

    @Test func entriesOfAuthorsThatAreNotMembersAreNeitherStoredNorRelayed() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            try a.cli(["members", "add", MemberID(publicKey: Self.evil.publicKey).description, "--name", "relay"]).check()
            try a.start()
            let stranger = try Signer(seed: [UInt8](repeating: 0x5e, count: 32))
            let foreign = try Self.entry(seq: 1, by: stranger)
            let own = try Self.entry(seq: 1)
            let received = try await Self.session(port: a.port, signer: Self.evil,
                                                  frames: [WireMessage.entries([foreign.bytes, own.bytes]).frame(),
                                                           WireMessage.goodbye(.shuttingDown, "done").frame()])
            #expect(!received.contains { if case .goodbye = $0 { true } else { false } }, "relaying a non-member's entry is not a violation")
            try eventually("A stores the member's entry") { try a.status().entries == 1 }
            let status = try a.status()
            #expect(status.counters.notAMember == 1)
            #expect(status.counters.protocolViolations == 0)
        }
    }
}

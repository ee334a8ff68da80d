import CoalitionTestSupport
import CoalitionCore
import CoalitionCrypto
import CoalitionNode
import Foundation
import GRDB
import Testing

/// Real node processes gossiping over mutual TLS on loopback (issue: federation).
@Suite(.serialized) struct FederationTests {
    /// A line A ← B ← C (B dials A, C dials B): C hears of A only through B's relaying.
    func line() throws -> TestMesh {
        let (mesh, a, b, c) = try TestMesh.line()
        for n in [a, b, c] { try n.start() }
        return mesh
    }

    @Test func signalsRetractionsAndDisputesCrossTheLineAndSurviveARestart() async throws {
        try await integrationTest {
            let mesh = try line()
            defer { mesh.shutdown() }
            let (a, b, c) = (mesh.nodes["A"]!, mesh.nodes["B"]!, mesh.nodes["C"]!)

            let signal = try a.publish("#LineChallenge")
            try eventually("the signal published at A reaches C") { try c.status().entries == 1 }
            let shown = try c.cli(["show", signal]).check().stdout
            #expect(shown.contains("#linechallenge"))

            try a.cli(["retract", signal, "--reason", "duplicate of an older signal"]).check()
            try eventually("the retraction reaches C") { try converged([a, b, c], entries: 2) }
            #expect(try c.cli(["show", signal]).check().stdout.contains("retracted"))

            let other = try a.publish("#DisputedChallenge")
            try eventually("the second signal reaches C") { try c.status().entries == 3 }
            try c.cli(["opine", other, "--stance", "dispute", "--note", "satire account"]).check()
            try eventually("C's dispute reaches A") { try converged([a, b, c], entries: 4) }
            #expect(try a.cli(["show", other]).check().stdout.contains("disputed"))

            // The middle node goes away; A publishes; B comes back and the line catches up.
            b.stop()
            try a.publish("#WhileBWasDown1")
            try a.publish("#WhileBWasDown2")
            try b.start()
            try eventually("C catches up after B restarts") { try converged([a, b, c], entries: 6) }
            #expect(try c.status().peers.first { $0.id == b.id }?.connected == true)

            // SIGTERM: a clean exit, and the peers are told.
            #expect(b.stop() == 0, "graceful shutdown exits 0")
            #expect(b.log().contains("node stopped"))
            try eventually("A logs B's goodbye") { a.log().contains("peer said goodbye: shutting-down") }
        }
    }

    @Test func sighupAppliesAHandEditedMemberList() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            try a.start()
            // D knows A, but A learns of D only from a hand edit and a SIGHUP.
            let d = try TestNode(name: "D", dir: mesh.root + "/D", port: TestMesh.freePort())
            defer { d.stop() }
            try d.cli(["peers", "add", a.id, "127.0.0.1:\(a.port)", "--name", "A"]).check()
            try d.start()
            try eventually("A refuses D at first") { try a.status().counters.refusedConnections >= 1 }
            try a.editConfiguration(replacing: "members: []\n", with: "members:\n  - id: \(d.id)\n    name: \"D\"\n")
            a.signal(SIGHUP)
            try eventually("after SIGHUP, A accepts D") { try a.status().peers.first { $0.id == d.id }?.connected == true }
            #expect(a.log().contains("SIGHUP: reloaded"))
            #expect(try a.status().members.map(\.id) == [d.id], "status shows the reloaded members")
            try d.publish("#AfterReload")
            try eventually("and D's signal reaches A") { try a.status().entries == 1 }
            let status = try a.status()
            #expect(status.signalsByKind == ["trend": 1] && status.signalsByCategory == ["protection_of_minors": 1])
        }
    }

    @Test func aFloodingAuthorIsHeldToItsQuotaAndCaughtUpLater() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            let b = try mesh.add("B")
            try mesh.link("B", "A")
            // A lets each author store 5 entries at once, then 60 a minute (one a second).
            try a.editConfiguration(replacing: "entriesPerAuthorPerMinute: 60000", with: "entriesPerAuthorPerMinute: 60")
            try a.editConfiguration(replacing: "burst: 2000000", with: "burst: 5")
            var csv = "kind,value,category\n"
            for i in 0..<12 { csv += "trend,#flood\(i),protection_of_minors/unsafe_challenges\n" }
            try csv.write(toFile: mesh.root + "/flood.csv", atomically: true, encoding: .utf8)
            try b.cli(["import", mesh.root + "/flood.csv"]).check()
            try a.start()
            try b.start()
            try eventually("A defers what exceeds the quota") { try a.status().counters.quotaDeferred > 0 }
            let early = try a.status().entries
            #expect(early >= 5 && early < 12, "the burst is stored at once, not the flood (got \(early))")
            try eventually("anti-entropy fetches the rest as tokens return", within: 120) { try converged([a, b], entries: 12) }
        }
    }

    @Test func aPartitionedNodeConvergesToTheSameDigest() async throws {
        try await integrationTest {
            let mesh = try line()
            defer { mesh.shutdown() }
            let (a, b, c) = (mesh.nodes["A"]!, mesh.nodes["B"]!, mesh.nodes["C"]!)
            try a.publish("#BeforePartition")
            try eventually("all hold the first signal") { try converged([a, b, c], entries: 1) }

            c.stop()
            for i in 0..<3 { try a.publish("#MainSide\(i)") }
            for i in 0..<2 { try c.publish("#CutOffSide\(i)") }  // written while C is not running
            try c.start()
            try eventually("every node holds the same 6 entries and digest") { try converged([a, b, c], entries: 6) }
        }
    }

    @Test func aLateJoinerBootstrapsTenThousandEntries() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            var csv = "kind,value,category\n"
            for i in 0..<10_000 { csv += "trend,#bulk\(i),protection_of_minors/unsafe_challenges\n" }
            let file = mesh.root + "/bulk.csv"
            try csv.write(toFile: file, atomically: true, encoding: .utf8)
            try a.cli(["import", file]).check()
            try a.start()

            let d = try mesh.add("D")  // A's running node reloads and accepts D
            try mesh.link("D", "A")
            try d.start()
            try eventually("D holds all 10,000 entries", within: 120) { try converged([a, d], entries: 10_000) }
            let peer = try d.status().peers.first { $0.id == a.id }
            #expect(peer?.entriesIn ?? 0 >= 10_000)
            #expect(peer?.behind == 0)

            // D's store was empty and A was 10,000 entries ahead: the bulk path loaded it, and the
            // entry indexes it dropped were built again once everything had arrived.
            try eventually("D's bulk bootstrap ends") { d.log().contains("bulk bootstrap ended; indexes built") }
            #expect(d.log().contains("bootstrapping an empty store in bulk"))
            let indexes = try DatabaseQueue(path: d.dir + "/coalition.sqlite", configuration: { var c = Configuration(); c.readonly = true; return c }())
                .read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('entry_id', 'entry_author_seq', 'entry_indicator', 'opinion_target')") }
            #expect(Set(indexes) == ["entry_id", "entry_author_seq", "entry_indicator", "opinion_target"])
            // Afterwards D ingests on the normal path: a new signal still arrives, and lookups work.
            let later = try a.publish("#AfterTheBootstrap")
            try eventually("the next signal reaches D") { try d.status().entries == 10_001 }
            #expect(try d.cli(["show", later]).check().stdout.contains("#afterthebootstrap"))
            #expect(try d.cli(["lookup", "trend", "#bulk9999"]).check().stdout.contains("#bulk9999"))
        }
    }

    @Test func jsonLogsAreOneObjectPerLineWithDottedMetadata() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            let b = try mesh.add("B")
            try mesh.link("B", "A")
            try a.start(extraArguments: ["--log-format", "json"])
            try b.start()
            try eventually("B connects") { try a.status().peers.first?.connected == true }
            #expect(a.stop() == 0)
            let lines = a.log().split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count >= 3)
            var sawPeer = false
            for line in lines {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
                #expect(object?["level"] != nil && object?["message"] != nil && object?["ts"] != nil, "\(line)")
                if object?["message"] == "peer connected" { sawPeer = object?["peer.id"] == b.id }
            }
            #expect(sawPeer, "the connection is logged with the peer's member ID under peer.id")
            let secret = try String(contentsOfFile: a.dir + "/member.key", encoding: .utf8)
                .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.joined()
            #expect(secret.count >= 32)
            #expect(!a.log().contains(secret), "the key file's secret never appears in the logs")
        }
    }

    @Test func aPeerWithAnUnknownKeyIsRefused() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            try a.start()
            // X knows A, but A was never told about X.
            let x = try TestNode(name: "X", dir: mesh.root + "/X", port: TestMesh.freePort())
            defer { x.stop() }
            try x.cli(["peers", "add", a.id, "127.0.0.1:\(a.port)", "--name", "A"]).check()
            try x.start()
            try eventually("A refuses X and counts it") { try a.status().counters.refusedConnections >= 1 }
            #expect(a.log().contains("not a configured member"))
            #expect(try a.status().peers.isEmpty)
            let seen = try x.status().peers.first { $0.id == a.id }
            #expect(seen?.connected == false)
            #expect(seen?.lastError != nil)
        }
    }

    @Test func anEquivocatingAuthorIsFlaggedOnEveryNode() async throws {
        try await integrationTest {
            let mesh = try line()
            defer { mesh.shutdown() }
            let (a, b, c) = (mesh.nodes["A"]!, mesh.nodes["B"]!, mesh.nodes["C"]!)
            let evil = try Signer(seed: [UInt8](repeating: 0xe1, count: 32))
            let evilID = MemberID(publicKey: evil.publicKey).description
            for n in [a, b, c] { try n.cli(["members", "add", evilID, "--name", "two-faced"]).check() }
            // Two different entries at seq 1: one reaches A, the other C.
            let target = try EntryID(bytes: [UInt8](repeating: 7, count: 32))
            let first = try Entry.sign(by: evil, seq: 1, prev: .zero, timestamp: 1_700_000_000_000, body: .opinion(Opinion(target: target, stance: .confirm)))
            let second = try Entry.sign(by: evil, seq: 1, prev: .zero, timestamp: 1_700_000_000_000, body: .opinion(Opinion(target: target, stance: .dispute)))
            for (node, entry) in [(a, first), (c, second)] {
                let file = mesh.root + "/fork-\(node.name).jsonl"
                try (ExportedEntry(entry).jsonLine() + "\n").write(toFile: file, atomically: true, encoding: .utf8)
                try node.cli(["import", "--signed", file]).check()
            }
            try eventually("every node flags the equivocator") {
                try [a, b, c].allSatisfy { try $0.status().equivocators == [evilID] }
            }
            try eventually("and holds both entries with one digest") { try converged([a, b, c], entries: 2) }
        }
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionNode
import CoalitionTestSupport
import Foundation
import Testing

/// `coalition key rotate` end to end, on a line A ← B ← C of real nodes (B dials A, C dials B):
/// B is connected while A rotates, C is offline and never talks to A; and a node that rotated
/// while stopped is accepted by a peer that learns the rotation from its certificate alone.
@Suite struct KeyRotationTests {
    @Test func aRotatedKeyIsFollowedAlongALineIncludingByANodeThatWasOffline() async throws {
        try await integrationTest {
            let (mesh, a, b, c) = try TestMesh.line()
            defer { mesh.shutdown() }
            for n in [a, b, c] { try await n.launch() }
            let before = try a.publish("#BeforeRotation")
            try await waitFor("A's first signal reaches C") { try c.status().entries == 1 }
            let oldSigner = try KeyFile.load(from: a.dir + "/member.key")

            // C is away while A rotates; B is connected and gets the rotation pushed.
            c.stop()
            let out = try a.cli(["key", "rotate", "--yes", "--json"]).check().stdout
            let rotation = try JSONDecoder().decode(NodeDirectory.Rotation.self, from: Data(out.utf8))
            #expect(rotation.oldID == a.id)
            #expect(rotation.newID != a.id)
            #expect(try a.cli(["id"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines) == rotation.newID)
            #expect(try a.status().memberID == rotation.newID, "the running node took the new key")
            for file in ["member.key", "member.key.retired-\(String(rotation.oldID.prefix(7)))"] {
                let attributes = try FileManager.default.attributesOfItem(atPath: a.dir + "/" + file)
                #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file) is 0600")
            }
            #expect(!FileManager.default.fileExists(atPath: a.dir + "/member.key.next"))
            let refused = try a.cli(["key", "rotate"])
            #expect(refused.status != 0 && refused.stderr.contains("--yes"), "rotation asks for confirmation")

            let after = try a.publish("#AfterRotation")
            try await waitFor("B reconnects to A's new key") { try b.status().peers.first { $0.id == rotation.newID }?.connected == true }
            try await c.launch()
            try await waitFor("the line converges: signal, rotation, the new key's signal") { try converged([a, b, c], entries: 3) }
            let peer = try #require(try b.status().peers.first { $0.id == rotation.newID })
            #expect(peer.connected && peer.name == "A", "B shows A under its new key, by its configured name")
            #expect(!(try b.status().peers.contains { $0.id == rotation.oldID }), "the retired key is not listed as a second peer")
            #expect(try c.cli(["show", after]).check().stdout.contains("#afterrotation"), "C, which never talks to A, holds the new key's signal")

            // The old key signs after its rotation: refused by every node, stored by none.
            let rotationID = try EntryID(hex: rotation.entryID)
            let forged = try Entry.sign(by: oldSigner, seq: 3, prev: rotationID, timestamp: .nowMillis,
                                        body: .retract(try Retraction(target: try EntryID(hex: before), reason: "forged after the rotation")))
            let file = mesh.root + "/forged.jsonl"
            try (ExportedEntry(forged).jsonLine() + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            for node in [a, b, c] {
                let r = try node.cli(["import", "--signed", file])
                #expect(r.stdout.contains("rotation") || r.stderr.contains("rotation"), "\(node.name) names the rotation: \(r.stdout) \(r.stderr)")
            }
            #expect(try converged([a, b, c], entries: 3), "nothing the old key signed after the rotation is stored")

            // A restart keeps the new key, and nothing is left of the rotation's files.
            a.stop()
            try await a.launch()
            #expect(try a.status().memberID == rotation.newID)
            try a.publish("#AfterRestart")
            try await waitFor("A's signal after its restart reaches C") { try converged([a, b, c], entries: 4) }
            #expect(!a.log().contains("did not make"), "its own rotation is not taken for a theft")
        }
    }

    @Test func aRotationOfAStoppedNodeIsTakenWhenItStartsAndAStaleKeyFileIsRefused() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A"), b = try mesh.add("B")
            try mesh.link("B", "A")
            try a.publish("#Offline")
            let stale = try String(contentsOfFile: a.dir + "/member.key", encoding: .utf8)
            let out = try a.cli(["key", "rotate", "--yes"]).check().stdout
            #expect(out.contains("not running"), "\(out)")
            let newID = try a.cli(["id"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(newID != a.id)
            for n in [a, b] { try await n.launch() }
            try await waitFor("B takes A's signal and rotation, and connects to the new key") {
                try b.status().entries == 2 && (try b.status().peers.first { $0.id == newID }?.connected == true)
            }
            #expect(b.log().contains("proved a key rotation"), "B learned the successor from A's certificate")

            // Restoring the old key file (a stale backup) is refused with the reason and the fix.
            a.stop()
            try FileManager.default.removeItem(atPath: a.dir + "/member.key")
            try stale.write(toFile: a.dir + "/member.key", atomically: true, encoding: .utf8)
            chmod(a.dir + "/member.key", 0o600)
            let opened = try a.cli(["id"])
            #expect(opened.status != 0 && opened.stderr.contains("rotated to"), "\(opened.stderr)")
        }
    }

    @Test func aReplacedKeyIsANewMemberIDWithNoRotationEntry() throws {
        let mesh = TestMesh()
        defer { mesh.shutdown() }
        let a = try mesh.add("A")
        try a.publish("#BeforeTheTheft")
        let refused = try a.cli(["key", "replace"])
        #expect(refused.status != 0 && refused.stderr.contains("--yes"))
        let out = try a.cli(["key", "replace", "--yes"]).check().stdout
        let newID = try a.cli(["id"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newID != a.id && out.contains("coalition members add \(newID)") && out.contains("coalition members remove \(a.id)"))
        let export = try a.cli(["export"]).check().stdout
        #expect(!export.contains("key-rotation"), "nothing announces a replaced key")
        #expect(FileManager.default.fileExists(atPath: a.dir + "/member.key.retired-\(a.id.prefix(7))"))
        // The node signs with the new key at once.
        try a.publish("#AfterTheTheft")
        #expect(try a.cli(["export"]).check().stdout.contains(newID))
    }
}

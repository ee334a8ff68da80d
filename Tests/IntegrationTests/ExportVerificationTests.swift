import CoalitionTestSupport
import CoalitionCore
import CoalitionCrypto
import CoalitionNode
import Foundation
import Testing

/// "Anyone can verify an export using only the spec": a real `coalition export` is checked by
/// Protocol/tools/verify_vectors.py, an independent implementation written from SPEC.md.
@Suite("Export verified by the independent checker", .serialized)
struct ExportVerificationTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func runChecker(_ exportPath: String) throws -> (status: Int32, output: String) {
        try runPython([Self.repoRoot.appendingPathComponent("Protocol/tools/verify_vectors.py").path, "--export", exportPath])
    }

    @Test("an export with every body type passes; a tampered one fails with its line number")
    func exportPassesIndependentCheck() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "video-app"])
            let other = try Signer(seed: [UInt8](repeating: 42, count: 32))
            let otherID = MemberID(publicKey: other.publicKey).description
            let pub = try cli.run(["publish", "--kind", "trend", "--value", "#BlackoutChallenge", "--category", "protection_of_minors/unsafe_challenges", "--json"])
            let id = try (JSONSerialization.jsonObject(with: Data(pub.stdout.utf8)) as! [String: Any])["id"] as! String
            #expect(try cli.run(["publish", "--kind", "sha256", "--value", String(repeating: "ab", count: 32), "--category", "violence",
                                 "--tlp", "red", "--recipient", otherID]).status == 0)
            #expect(try cli.run(["publish", "--kind", "url", "--value", "https://Example.com/x", "--category", "scams_and_fraud/phishing"]).status == 0)
            #expect(try cli.run(["opine", id, "--stance", "confirm"]).status == 0)
            #expect(try cli.run(["retract", id, "--reason", "test"]).status == 0)
            // Another member's entry with a body type this version does not know, stored through the store API.
            let node = try NodeDirectory.open(at: cli.dataDir)
            let unknown = try Entry.sign(by: other, seq: 1, prev: .zero, timestamp: 1, bodyType: 900, bodyBytes: [1, 2, 3])
            #expect(try node.store.ingest([unknown]).applied == 1)

            let export = cli.dataDir + "-export.jsonl"
            defer { try? FileManager.default.removeItem(atPath: export) }
            #expect(try cli.run(["export", "--output", export]).status == 0)
            let lines = try String(contentsOfFile: export, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 6)

            let ok = try runChecker(export)
            #expect(ok.status == 0, "\(ok.output)")
            #expect(ok.output.contains("export: 6 passed, 0 failed"), "\(ok.output)")

            // Flip a character inside the base64 entry of line 3: the checker must name line 3.
            var tampered = lines.map(String.init)
            let marker = "\"entry\":\""
            let start = tampered[2].range(of: marker)!.upperBound
            let i = tampered[2].index(start, offsetBy: 60)
            tampered[2].replaceSubrange(i...i, with: tampered[2][i] == "A" ? "B" : "A")
            try tampered.joined(separator: "\n").write(toFile: export, atomically: true, encoding: .utf8)
            let bad = try runChecker(export)
            #expect(bad.status == 1, "\(bad.output)")
            #expect(bad.output.contains("line 3"), "\(bad.output)")
        }
    }
}

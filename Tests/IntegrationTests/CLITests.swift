import CoalitionTestSupport
import CoalitionCore
import CoalitionCrypto
import CoalitionNode
import Foundation
import Testing

/// End-to-end tests of the `coalition` binary on a real data directory, SQLite file and libsodium.
@Suite("coalition CLI", .serialized)
struct CLITests {
    @Test("init writes a 0600 key, id prints the same member ID, and a loose key file is refused")
    func initAndKeyPermissions() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            let r = try cli.run(["init", "--name", "video-app"])
            #expect(r.status == 0, "\(r.stderr)")
            let idLine = r.stdout.split(separator: "\n").first { $0.hasPrefix("Member ID: ") }.map { String($0.dropFirst(11)) }
            let keyPath = cli.dataDir + "/member.key"
            let attrs = try FileManager.default.attributesOfItem(atPath: keyPath)
            #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let id = try cli.run(["id"])
            #expect(id.status == 0)
            #expect(id.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == idLine)
            // The key never shows up in output or in the configuration.
            let seedLine = try String(contentsOfFile: keyPath, encoding: .utf8).split(separator: "\n").first { !$0.hasPrefix("#") }!
            #expect(!r.stdout.contains(seedLine) && !r.stderr.contains(seedLine))
            #expect(!(try String(contentsOfFile: cli.dataDir + "/coalition.yaml", encoding: .utf8)).contains(seedLine))
            // A second init refuses to overwrite the member key.
            #expect(try cli.run(["init", "--name", "again"]).status != 0)

            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
            let loose = try cli.run(["id"])
            #expect(loose.status == 1)
            #expect(loose.stderr.contains("chmod 600"))
            #expect(loose.stderr.contains("644"))
        }
    }

    @Test("publish rejects bad values with an error naming the field")
    func publishValidation() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "forum"])
            let badHex = try cli.run(["publish", "--kind", "md5", "--value", "not-a-hash", "--category", "violence"])
            #expect(badHex.status == 1)
            #expect(badHex.stderr.contains("value:"))
            let longNote = try cli.run(["publish", "--kind", "md5", "--value", String(repeating: "a", count: 32), "--category", "violence",
                                        "--note", String(repeating: "n", count: 1025)])
            #expect(longNote.status == 1)
            #expect(longNote.stderr.contains("note:"))
            #expect(longNote.stderr.contains("1024"))
            let badCategory = try cli.run(["publish", "--kind", "md5", "--value", String(repeating: "a", count: 32), "--category", "protection_of_minors/nope"])
            #expect(badCategory.status == 1 && badCategory.stderr.contains("category:"))
            let redNoRecipients = try cli.run(["publish", "--kind", "md5", "--value", String(repeating: "a", count: 32), "--category", "violence", "--tlp", "red"])
            #expect(redNoRecipients.status == 1 && redNoRecipients.stderr.contains("recipients:"))
            // Nothing was stored by the failures; a good publish works and canonicalises.
            let ok = try cli.run(["publish", "--kind", "url", "--value", "HTTPS://Example.COM:443/a/../b#frag", "--category", "scams_and_fraud/phishing", "--json"])
            #expect(ok.status == 0, "\(ok.stderr)")
            #expect(ok.stdout.contains("\"value\" : \"https://example.com/b\""))
            let list = try cli.run(["list", "--json"])
            let rows = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
            #expect(rows.count == 1)
        }
    }

    @Test("importing 10,000 lines with 3 corrupt ones stores 9,997 and reports the 3 by line")
    func bulkImport() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "photo-app"])
            var lines = ["kind,value,category,severity,tlp,labels,expires_at,note,quality"]
            for i in 0..<10_000 {
                switch i {
                case 1_234: lines.append("md5,zz-not-hex,violence,high,green,,,,")                          // bad hex
                case 5_000: lines.append("pdq,\(String(format: "%064x", i)),violence,hi")                   // truncated line
                case 8_765: lines.append("md5,\(String(format: "%032x", i)),violence,extreme,green,,,,")    // bad severity
                default: lines.append(i % 2 == 0 ? "md5,\(String(format: "%032x", i)),scams_and_fraud/phishing,medium,green,a;b,,,"
                                                 : "pdq,\(String(format: "%064x", i)),violence,high,amber,,,\"note, with comma\",80")
                }
            }
            let file = cli.dataDir + "-import.csv"
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let r = try cli.run(["import", file])
            #expect(r.status == 2)  // some lines rejected
            #expect(r.stdout.contains("10000 lines read: 9997 signals published, 0 skipped, 3 rejected."), "\(r.stdout)")
            // Line numbers count the header as line 1.
            #expect(r.stdout.contains("line 1236: value:"))
            #expect(r.stdout.contains("line 5002: has 4 fields but the header has 9 (truncated line?)"))
            #expect(r.stdout.contains("line 8767: severity:"))
            let list = try cli.run(["list", "--json", "--limit", "20000"])
            let rows = try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as! [[String: Any]]
            #expect(rows.count == 9_997)
            // Importing again publishes nothing new.
            let again = try cli.run(["import", file])
            #expect(again.stdout.contains("9997 skipped"))
        }
    }

    @Test("a truncated JSONL line is reported and the rest imported")
    func jsonlImport() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "stream"])
            let file = cli.dataDir + "-import.jsonl"
            try """
                {"kind":"trend","value":"#TidePodChallenge","category":"protection_of_minors/unsafe_challenges","severity":"high","labels":["ingestion"]}
                {"kind":"md5","value":"d41d8cd98f00b204e9800998ecf8427e","categ
                {"kind":"sha256","value":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","category":"violence","expiresAt":"2030-01-01T00:00:00Z"}
                """.write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let r = try cli.run(["import", file])
            #expect(r.stdout.contains("3 lines read: 2 signals published, 0 skipped, 1 rejected."), "\(r.stdout)")
            #expect(r.stdout.contains("line 2:"))
            let show = try cli.run(["list", "--kind", "trend", "--json"])
            #expect(show.stdout.contains("#tidepodchallenge"))
        }
    }

    @Test("an export verifies and ingests into another node, which then shows the same state")
    func exportAndIngest() async throws {
        try await integrationTest {
            let a = CLIRunner(), b = CLIRunner()
            defer { a.cleanUp(); b.cleanUp() }
            try a.run(["init", "--name", "a"]); try b.run(["init", "--name", "b"])
            let pub = try a.run(["publish", "--kind", "trend", "--value", "Blackout Challenge", "--category", "protection_of_minors/unsafe_challenges", "--json"])
            let id = try (JSONSerialization.jsonObject(with: Data(pub.stdout.utf8)) as! [String: Any])["id"] as! String
            #expect(try a.run(["opine", id, "--stance", "confirm"]).status == 0)
            let exportFile = a.dataDir + "-export.jsonl"
            defer { try? FileManager.default.removeItem(atPath: exportFile) }
            #expect(try a.run(["export", "--output", exportFile]).status == 0)
            // Corrupt a copy: one changed byte inside the base64 entry is caught by the id/signature checks.
            var lines = try String(contentsOfFile: exportFile, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(lines.count == 2)
            let r = try b.run(["import", "--signed", exportFile])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            let show = try b.run(["show", id, "--json"])
            let view = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
            #expect(view["verdict"] as? String == "confirmed")
            #expect(view["authorName"] as? String != "b")
            lines[1] = lines[1].replacingOccurrences(of: "\"seq\":2", with: "\"seq\":2,\"x\":1")
            lines[0] = String(lines[0].prefix(lines[0].count / 2))  // truncated line
            try lines.joined(separator: "\n").write(toFile: exportFile, atomically: true, encoding: .utf8)
            let c = CLIRunner()
            defer { c.cleanUp() }
            try c.run(["init", "--name", "c"])
            let bad = try c.run(["import", "--signed", exportFile])
            #expect(bad.status == 2)
            #expect(bad.stdout.contains("line 1:"))
        }
    }

    @Test("a restore of 12,000 signed entries into an empty node goes through the bulk path; a bad line is reported, and every entry is found afterwards")
    func largeSignedImport() async throws {
        try await integrationTest {
            let node = CLIRunner()
            defer { node.cleanUp() }
            try node.run(["init", "--name", "restored"])
            let author = try Signer(seed: [UInt8](repeating: 0x5a, count: 32))
            var lines: [String] = []
            var chain: [Entry] = []
            for n in 1...12_000 {
                let body = Body.publish(try Signal(kind: .md5, value: String(format: "%032x", n), category: "violence"))
                chain.append(try Entry.sign(by: author, seq: UInt64(n), prev: chain.last?.id ?? .zero, timestamp: Int64(n), body: body))
                lines.append(ExportedEntry(chain[n - 1]).jsonLine())
            }
            lines.insert(String(lines[5_999].prefix(60)), at: 6_000)  // a truncated extra line: line 6,001
            let file = node.dataDir + "-restore.jsonl"
            defer { try? FileManager.default.removeItem(atPath: file) }
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)

            let r = try node.run(["import", "--signed", file])
            #expect(r.status == 2, "a rejected line makes the exit status 2")
            #expect(r.stdout.contains("12001 lines read: 12000 entries stored, 0 already stored, 0 pending, 0 refused by policy, 1 rejected."), "\(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("rejected line 6001:"))
            #expect(r.stdout.contains("entries were loaded in bulk"))
            // Lookups after the load go through the rebuilt indexes.
            for e in [chain[0], chain[7_777], chain[11_999]] {
                let show = try node.run(["show", e.id.hex, "--json"])
                #expect(show.status == 0 && show.stdout.contains(e.id.hex), "\(show.stderr)")
            }
            // Importing the same file again stores nothing twice.
            let again = try node.run(["import", "--signed", file])
            #expect(again.stdout.contains("12001 lines read: 0 entries stored, 12000 already stored"), "\(again.stdout)")
            #expect(again.stdout.contains("skipped line 2: already stored") && again.stdout.contains("and 11980 more skipped"),
                    "duplicates are reported at their own lines")
            #expect(!again.stdout.contains("loaded in bulk"), "a store that holds entries takes the normal path")
        }
    }

    @Test("a signed import reports every line in exactly one outcome: stored, already stored, pending, refused by policy, rejected")
    func signedImportOutcomes() async throws {
        try await integrationTest {
            let node = CLIRunner()
            defer { node.cleanUp() }
            try node.run(["init", "--name", "mixed"]).check()
            let member = try Signer(seed: [UInt8](repeating: 0x11, count: 32))
            let outsider = try Signer(seed: [UInt8](repeating: 0x22, count: 32))
            try node.run(["members", "add", MemberID(publicKey: member.publicKey).description, "--name", "member"]).check()
            func publish(_ n: Int, by signer: Signer, seq: UInt64, prev: EntryID) throws -> Entry {
                try Entry.sign(by: signer, seq: seq, prev: prev, timestamp: Int64(n),
                               body: .publish(try Signal(kind: .md5, value: String(format: "%032x", n), category: "violence")))
            }
            let first = try publish(1, by: member, seq: 1, prev: .zero)
            let second = try publish(2, by: member, seq: 2, prev: first.id)
            let third = try publish(3, by: member, seq: 3, prev: second.id)
            let foreign = try publish(4, by: outsider, seq: 1, prev: .zero)
            let lines = [
                ExportedEntry(first).jsonLine(),     // 1: stored
                ExportedEntry(first).jsonLine(),     // 2: already stored
                ExportedEntry(third).jsonLine(),     // 3: pending (seq 2 never comes)
                ExportedEntry(foreign).jsonLine(),   // 4: refused: not a member
                "{\"entry\":\"bm90IGFuIGVudHJ5\"}", // 5: rejected
            ]
            let file = node.dataDir + "-mixed.jsonl"
            defer { try? FileManager.default.removeItem(atPath: file) }
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let r = try node.run(["import", "--signed", file])
            #expect(r.status == 2)
            #expect(r.stdout.contains("5 lines read: 1 entries stored, 1 already stored, 1 pending, 1 refused by policy, 1 rejected."), "\(r.stdout)")
            #expect(r.stdout.contains("skipped line 2: already stored"), "\(r.stdout)")
            #expect(r.stdout.contains("pending line 3: [pending] waiting for seq 2"), "\(r.stdout)")
            #expect(r.stdout.contains("refused line 4: [forbidden]"), "\(r.stdout)")
            #expect(r.stdout.contains("rejected line 5: ["), "\(r.stdout)")
            // Each line is named once.
            for n in 1...5 where n != 1 {
                #expect(r.stdout.components(separatedBy: "line \(n):").count - 1 == 1, "line \(n)")
            }
        }
    }

    @Test("every subcommand explains itself with --help", arguments: ["init", "id", "publish", "retract", "opine", "list", "show", "import", "export", "lookup", "match-text", "run", "status", "peers", "members", "tokens", "demo"])
    func help(_ sub: String) async throws {
        try await integrationTest {
            let r = try CLIRunner().run([sub, "--help"], addDataDir: false)
            #expect(r.status == 0)
            #expect(r.stdout.contains("USAGE: coalition \(sub)"))
            #expect(r.stdout.contains("OVERVIEW:"))
        }
    }

    @Test("the demo gossips across three live nodes, converges and leaves nothing behind")
    func demo() async throws {
        try await integrationTest {
            let r = try CLIRunner().run(["demo"], addDataDir: false)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("verified and stored at forum in"))
            #expect(r.stdout.contains("verdict at video-app: false_positive"))
            #expect(r.stdout.components(separatedBy: "✔").count - 1 == 3, "three identical digests")
            let dir = r.stdout.components(separatedBy: "removed ").last?.trimmingCharacters(in: CharacterSet(charactersIn: ".\n "))
            #expect(dir.map { !FileManager.default.fileExists(atPath: $0) } == true, "the temporary directory is gone")
        }
    }

    @Test("lookup and match-text ask the node from a shell, with exit status 1 when nothing matches")
    func lookupAndMatchText() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "video-app"])
            try cli.run(["publish", "--kind", "md5", "--value", "D41D8CD98F00B204E9800998ECF8427E", "--category", "violence"])
            try cli.run(["publish", "--kind", "trend", "--value", "#BlackoutChallenge", "--category", "protection_of_minors/unsafe_challenges"])
            let hit = try cli.run(["lookup", "md5", "d41d8cd98f00b204e9800998ecf8427e"])
            #expect(hit.status == 0 && hit.stdout.contains("verdict none"), "\(hit.stderr)")
            let miss = try cli.run(["lookup", "md5", "00000000000000000000000000000000"])
            #expect(miss.status == 1 && miss.stdout.contains("no match"))
            let bad = try cli.run(["lookup", "md5", "zz"])
            #expect(bad.status == 1 && bad.stderr.contains("value:"))
            let text = try cli.run(["match-text", "Trying the #BLACKOUTchallenge, don't"])
            #expect(text.status == 0 && text.stdout.contains("#blackoutchallenge"))
            #expect(try cli.run(["match-text", "a harmless caption"]).status == 1)
        }
    }

    @Test("tokens are created once, listed without their values, and revoked")
    func tokens() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "video-app"])
            let created = try cli.run(["tokens", "create", "--name", "pipeline", "--scope", "lookup"])
            let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(created.status == 0 && token.hasPrefix("coal_") && token.count > 40)
            let list = try cli.run(["tokens", "list"]).stdout
            #expect(list.contains("pipeline") && list.contains("active") && !list.contains(token))
            #expect(try cli.run(["tokens", "create", "--name", "pipeline", "--scope", "lookup"]).status != 0, "names are unique")
            #expect(try cli.run(["tokens", "create", "--name", "x", "--scope", "root"]).stderr.contains("unknown scope"))
            #expect(try cli.run(["tokens", "revoke", "pipeline"]).status == 0)
            #expect(try cli.run(["tokens", "list"]).stdout.contains("revoked"))
            let raw = try Data(contentsOf: URL(fileURLWithPath: cli.dataDir + "/coalition.sqlite"))
            #expect(raw.range(of: Data(token.utf8)) == nil, "the plaintext token is not stored")
        }
    }

    @Test("peers and members edit the configuration, and bad input is refused with a reason")
    func peersAndMembers() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "video-app", "--listen", "127.0.0.1:7420"])
            let other = MemberID(publicKey: Signer().publicKey).description
            #expect(try cli.run(["peers", "add", other, "photo.example:7420", "--name", "photo-app"]).status == 0)
            #expect(try cli.run(["members", "list"]).stdout.contains("photo-app"))
            #expect(try cli.run(["peers", "list"]).stdout.contains("photo.example:7420"))
            let bad = try cli.run(["peers", "add", other, "no-port"])
            #expect(bad.status != 0 && bad.stderr.contains("host:port"))
            var chars = Array(other)
            chars[1] = chars[1] == "A" ? "B" : "A"  // one substituted character: the check characters catch it
            let typo = try cli.run(["members", "add", String(chars), "--name", "x"])
            #expect(typo.status != 0)
            #expect(try cli.run(["members", "remove", other]).status == 0)
            #expect(try cli.run(["peers", "list"]).stdout.contains("no peers"), "removing a member removes its peer entry")
            let status = try cli.run(["status"])
            #expect(status.status == 1 && status.stderr.contains("no node is running"))
        }
    }
}

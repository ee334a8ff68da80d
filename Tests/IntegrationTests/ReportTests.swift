import CoalitionCore
import CoalitionNode
import CoalitionTestSupport
import Foundation
import Testing

extension DashboardTests {
    /// `coalition report --format json` at `node`, parsed.
    static func report(_ node: TestNode, _ extra: [String] = []) throws -> [String: Any] {
        let out = try node.cli(["report", "--format", "json"] + extra).check().stdout
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    @Test("three nodes print the same coalition-wide report and digest, equal to counts made from coalition export; the local part counts lookups and arrivals; bad periods are refused")
    func transparencyReport() async throws {
        try await integrationTest {
            let (mesh, a, b, c) = try TestMesh.line()
            defer { mesh.shutdown() }
            func publish(_ n: TestNode, _ kind: String, _ value: String, _ category: String, _ extra: [String] = []) throws -> String {
                let out = try n.cli(["publish", "--kind", kind, "--value", value, "--category", category] + extra).check().stdout
                return try #require(out.split(separator: " ").first { $0.count == 64 }.map(String.init))
            }
            let a1 = try publish(a, "trend", "#report-one", "protection_of_minors/unsafe_challenges")
            _ = try publish(a, "trend", "#report-two", "protection_of_minors/unsafe_challenges")
            let a3 = try publish(a, "trend", "#report-three", "protection_of_minors/unsafe_challenges")
            let a4 = try publish(a, "url", "https://report.example/one", "scams_and_fraud")
            let a5 = try publish(a, "url", "https://report.example/two", "scams_and_fraud")
            let b1 = try publish(b, "md5", String(repeating: "ab", count: 16), "violence")
            _ = try publish(b, "md5", String(repeating: "cd", count: 16), "violence")
            let c1 = try publish(c, "trend", "#report-four", "violence")
            _ = try publish(c, "trend", "#report-restricted", "violence", ["--tlp", "red", "--recipient", a.id])
            for n in [a, b, c] { try await n.launch() }
            // Not `converged`: the state digest names the entries a node cannot read, and only A
            // reads the restricted signal.
            try await waitFor("the signals converge") { try [a, b, c].allSatisfy { try $0.status().entries == 9 } }
            try a.cli(["retract", a3, "--reason", "published by mistake"]).check()
            try a.cli(["retract", a4, "--reason", "false positive"]).check()
            try c.cli(["retract", c1, "--reason", "false positive"]).check()
            try b.cli(["opine", a5, "--stance", "dispute", "--note", "parody site"]).check()
            try c.cli(["opine", a5, "--stance", "dispute"]).check()
            try c.cli(["opine", a1, "--stance", "confirm"]).check()
            try a.cli(["opine", b1, "--stance", "dispute"]).check()
            try b.cli(["opine", c1, "--stance", "seen"]).check()
            try await waitFor("the retractions and opinions converge") { try [a, b, c].allSatisfy { try $0.status().entries == 17 } }

            // Every node computes the same coalition-wide part and digest.
            let reports = try [a, b, c].map { try Self.report($0) }
            let parts = reports.map { $0["coalition"] as! [String: Any] }
            let digest = try #require(parts[0]["digest"] as? String)
            #expect(digest.count == 64)
            for p in parts { #expect(p["digest"] as? String == digest) }
            #expect(NSDictionary(dictionary: parts[0]).isEqual(to: parts[1]) && NSDictionary(dictionary: parts[0]).isEqual(to: parts[2]),
                    "the coalition-wide parts differ")

            // The same numbers, counted here from `coalition export` alone.
            struct Key: Hashable { var member, category, kind: String }
            var published: [Key: Int] = [:], reasons: [Key: [String: Int]] = [:], restricted: [String: Int] = [:]
            var signals: [EntryID: Key] = [:], stances: [EntryID: Set<Opinion.Stance>] = [:]
            var retractions: [(target: EntryID, reason: String)] = []
            for line in try a.cli(["export"]).check().stdout.split(separator: "\n") {
                let e = try ExportedEntry.decodeEntry(line)
                let member = MemberID(publicKey: e.author).description
                switch e.bodyType {
                case BodyType.sealed: restricted[member, default: 0] += 1
                default:
                    switch try e.decodeBody() {
                    case .publish(let s):
                        let k = Key(member: member, category: s.category, kind: s.kind.name)
                        published[k, default: 0] += 1
                        signals[e.id] = k
                    case .retract(let r): retractions.append((r.target, r.reason))
                    case .opinion(let o): stances[o.target, default: []].insert(o.stance)
                    default: break
                    }
                }
            }
            for r in retractions { if let k = signals[r.target] { reasons[k, default: [:]][r.reason, default: 0] += 1 } }
            let rows = try #require(parts[0]["rows"] as? [[String: Any]])
            #expect(rows.count == published.count)
            for row in rows {
                let k = Key(member: row["member"] as! String, category: row["category"] as! String, kind: row["kind"] as! String)
                let ids = signals.filter { $0.value == k }.map(\.key)
                #expect(row["published"] as? Int == published[k], "\(k)")
                #expect(row["retracted"] as? Int == reasons[k]?.values.reduce(0, +) ?? 0, "\(k)")
                #expect((row["retractedByReason"] as? [String: Int] ?? [:]) == reasons[k] ?? [:], "\(k)")
                #expect(row["disputed"] as? Int == ids.count { stances[$0]?.contains(.dispute) == true }, "\(k)")
                #expect(row["confirmed"] as? Int == ids.count { stances[$0]?.contains(.confirm) == true }, "\(k)")
            }
            let total = try #require(parts[0]["total"] as? [String: Any])
            #expect(total["published"] as? Int == 8 && total["retracted"] as? Int == 3 && total["disputed"] as? Int == 2 && total["confirmed"] as? Int == 1)
            #expect(total["restricted"] as? Int == restricted.values.reduce(0, +) && restricted[c.id] == 1)
            #expect((parts[0]["retractedByReason"] as? [String: Int]) == ["false positive": 2, "published by mistake": 1])

            // The API, the CSV and the HTML give the same digest; another period gives another.
            let token = try Self.token(a, "reporter", "lookup")
            let api = try #require(try rawExchange(port: a.apiPort, Array("GET /v1/report HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8), timeout: 120))
            #expect(api.status == 200 && api.text.contains("\"digest\":\"\(digest)\""), "\(api.status)")
            let csv = try b.cli(["report", "--format", "csv"]).check().stdout
            #expect(csv.hasPrefix("section,member,member_name,category,kind,metric,value\n") && csv.contains("digest,,,,,sha256,\(digest)\n"))
            #expect(try c.cli(["report", "--format", "html"]).check().stdout.contains(digest))
            let past = try Self.report(a, ["--from", "2020-01-01", "--to", "2020-01-31"])
            let pastPart = try #require(past["coalition"] as? [String: Any])
            #expect((pastPart["rows"] as? [Any])?.isEmpty == true && pastPart["digest"] as? String != digest)

            // The local part: this node's lookups (flushed by the daemon every 10 s) and arrivals.
            for value in ["%23report-one", "%23nothing-here"] {
                let r = try #require(try rawExchange(port: a.apiPort, Array("GET /v1/lookup?kind=trend&value=\(value) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8), timeout: 120))
                #expect(r.status == 200)
            }
            try await waitFor("A's report counts its two lookups") {
                let local = try Self.report(a)["local"] as? [String: Any]
                return local?["lookups"] as? Int == 2 && (local?["matchesByCategory"] as? [String: Int])?["protection_of_minors/unsafe_challenges"] == 1
            }
            let local = try #require(try Self.report(a)["local"] as? [String: Any])
            #expect(local["arrivals"] as? Int == 4, "B's two signals and C's two reached A")
            #expect((local["medianArrivalSeconds"] as? Double).map { $0 >= 0 } == true)
            #expect(local["node"] as? String == a.id)

            // Bad periods and formats are refused with the reason.
            let bad = try a.cli(["report", "--from", "yesterday"])
            #expect(bad.status == 1 && bad.stderr.contains("from is a date (YYYY-MM-DD)"), "\(bad.stderr)")
            let backwards = try a.cli(["report", "--from", "2026-02-01", "--to", "2026-01-01"])
            #expect(backwards.status == 1 && backwards.stderr.contains("from must be before to"))
            #expect(try a.cli(["report", "--format", "pdf"]).status != 0)
            let badAPI = try #require(try rawExchange(port: a.apiPort, Array("GET /v1/report?to=soon HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8), timeout: 120))
            #expect(badAPI.status == 400 && badAPI.problem?["field"] as? String == "to")
        }
    }
}

import CoalitionTestSupport
import Foundation
import GRDB
import Testing

/// `kill -9` at random moments, in each way a node writes: API publishing, a bulk import, a
/// signed import, a bootstrap from a peer, and a relay between publishing peers (the webhook
/// outbox has its own, in WebhookDurabilityTests). Each scenario's writer records what it was told
/// was stored; after each kill SQLite's integrity check must pass on the data directory, and
/// after the restart every acknowledged entry must be there. Each prints one row of the table
/// in docs/reliability.md.
///
/// CI runs 3 kills per scenario; `COALITION_CRASH_KILLS=50 swift test --filter CrashSuiteTests`
/// is the full run.
@Suite(.serialized) struct CrashSuiteTests {
    static let kills = Int(ProcessInfo.processInfo.environment["COALITION_CRASH_KILLS"] ?? "") ?? 3
    /// Entries of the signed export, and of the peer a node bootstraps from: more in the full
    /// run, so that its kills land while the bootstrap is still fetching.
    static let signedCount = kills > 3 ? 20_000 : 3_000
    static let bootstrapCount = kills > 3 ? 200_000 : 10_000

    /// One row of the results table.
    struct Row: CustomStringConvertible {
        let scenario: String
        var kills = 0
        var acknowledged = 0
        var lost = 0
        var corrupt = 0
        var recoverySeconds: [Double] = []

        /// Counts a kill of `node` and runs the integrity check on what it left.
        mutating func killed(_ node: TestNode, round: Int) {
            kills += 1
            let check = (try? CrashSuiteTests.integrity(node)) ?? "the database does not open"
            if check != "ok" {
                corrupt += 1
                Issue.record("round \(round): integrity_check: \(check)")
            }
        }

        /// Records acknowledged entries that a restart did not find.
        mutating func missing(_ missing: some Collection<String>, round: Int) {
            lost = max(lost, missing.count)
            #expect(missing.isEmpty, "round \(round): acknowledged but missing: \(missing.prefix(5))")
        }

        var description: String {
            let sorted = recoverySeconds.sorted()
            let median = sorted.isEmpty ? 0 : sorted[sorted.count / 2]
            return "crash suite | \(scenario) | \(kills) kills | \(acknowledged) acknowledged | \(lost) lost | \(corrupt) corrupt | "
                + "recovery median \(String(format: "%.2f", median)) s, max \(String(format: "%.2f", sorted.last ?? 0)) s"
        }
    }

    /// `PRAGMA integrity_check` on a stopped node's database: "ok" when sound.
    static func integrity(_ node: TestNode) throws -> String {
        let db = try DatabaseQueue(path: node.dir + "/coalition.sqlite")
        defer { try? db.close() }
        return try db.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } ?? "no answer"
    }

    /// Restarts a killed node; the seconds until its admin socket answered.
    static func restart(_ node: TestNode) throws -> Double {
        let started = Date()
        try node.start()
        return Date().timeIntervalSince(started)
    }

    /// The trend values a node stores, read from its database (running or not; WAL lets a
    /// reader in beside the node): a listing through the CLI is too slow for 100,000 entries in
    /// a debug build on a loaded machine.
    static func trends(_ node: TestNode) throws -> Set<String> {
        let db = try DatabaseQueue(path: node.dir + "/coalition.sqlite")
        defer { try? db.close() }
        return Set(try db.read { try String.fetchAll($0, sql: "SELECT value FROM entry WHERE kind = 'trend'") })
    }

    /// Kills `victim` after a random delay from another thread, while `work` runs here.
    static func killDuring(_ victim: @escaping @Sendable () -> Void, afterMicroseconds delay: UInt32, _ work: () throws -> Void) rethrows {
        let done = DispatchSemaphore(value: 0)
        let killer = Thread {
            usleep(delay)
            victim()
            done.signal()
        }
        killer.start()
        try work()
        done.wait()
    }

    /// A CSV of `count` trends named `#<prefix>n<i>` (letters and digits only: canonical as written).
    static func csv(_ prefix: String, count: Int) -> String {
        "kind,value,category\n" + (0..<count).map { "trend,#\(prefix)n\($0),protection_of_minors/unsafe_challenges\n" }.joined()
    }

    @Test("API publishing: every signal answered 201 survives kill -9 of the node")
    func apiPublishing() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            let token = try a.cli(["tokens", "create", "--name", "writer", "--scope", "publish"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try a.start()
            var random = SeededRandom(seed: 61)
            var row = Row(scenario: "API publishing")
            var acknowledged: [String] = []
            var n = 0
            for round in 0..<Self.kills {
                try Self.killDuring({ a.kill9() }, afterMicroseconds: 200_000 + random.next(upperBound: UInt32(1_500_000))) {
                    // Publish until the node is gone: an answer of 201 is an acknowledgement.
                    while true {
                        n += 1
                        let value = "#api\(n)"
                        guard let r = try? a.publishThroughAPI(value, token: token) else { break }
                        if r.status == 201 { acknowledged.append(value) } else { break }
                    }
                }
                row.killed(a, round: round)
                row.recoverySeconds.append(try Self.restart(a))
                let stored = try Self.trends(a)
                row.missing(acknowledged.filter { !stored.contains($0) }, round: round)
            }
            row.acknowledged = acknowledged.count
            print(row)
            #expect(row.acknowledged > 0 && row.lost == 0 && row.corrupt == 0, "\(row)")
        }
    }

    /// Runs `coalition import` with `arguments` on `node`'s directory, killing it after `delay`;
    /// whether it finished (exit 0) before the kill.
    static func importKilled(_ node: TestNode, _ arguments: [String], afterMicroseconds delay: UInt32) throws -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIRunner.binary)
        p.arguments = ["import"] + arguments + ["--data-dir", node.dir]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(Double(delay) / 1e6)
        while p.isRunning && Date() < deadline { usleep(5_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return p.terminationReason == .exit && p.terminationStatus == 0
    }

    /// 1.5 times the microseconds an uninterrupted import takes into a scratch node; the
    /// arguments are the import's (a CSV text is written to a file first).
    static func timedImport(_ mesh: TestMesh, _ arguments: [String]) throws -> UInt32 {
        let scratch = try mesh.add("scratch\(mesh.nodes.count)")
        var args = arguments
        if let text = args.first, text.hasPrefix("kind,") {
            args[0] = mesh.root + "/scratch.csv"
            try text.write(toFile: args[0], atomically: true, encoding: .utf8)
        }
        let started = Date()
        try CLIRunner().run(["import"] + args, dataDir: scratch.dir, timeout: 3600).check()
        return UInt32(min(60, Date().timeIntervalSince(started)) * 1.5e6)
    }

    /// One round of an import scenario: the import killed at a random moment (up to `took`),
    /// the integrity check, the node started on what the importer left, and every acknowledged
    /// entry looked for; a finished import acknowledges `acknowledges`.
    static func importRound(_ node: TestNode, _ arguments: [String], round: Int, took: UInt32, random: inout SeededRandom, row: inout Row,
                            acknowledged: inout Set<String>, acknowledges: @autoclosure () -> Set<String>) throws {
        if try importKilled(node, arguments, afterMicroseconds: random.next(upperBound: took)) { acknowledged.formUnion(acknowledges()) }
        row.killed(node, round: round)
        row.recoverySeconds.append(try restart(node))
        let stored = try trends(node)
        node.stop()
        row.missing(acknowledged.subtracting(stored), round: round)
    }

    @Test("bulk import: every file whose import finished survives kill -9 of the importer mid-file, and the store stays sound")
    func bulkImport() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            // Kills land anywhere from the start to past the end of an import: some finish.
            let took = try Self.timedImport(mesh, [Self.csv("scratch", count: 2_000)])
            var random = SeededRandom(seed: 62)
            var row = Row(scenario: "bulk import")
            var acknowledged = Set<String>()
            for round in 0..<Self.kills {
                let file = mesh.root + "/bulk-\(round).csv"
                try Self.csv("bulk\(round)", count: 2_000).write(toFile: file, atomically: true, encoding: .utf8)
                try Self.importRound(a, [file], round: round, took: took, random: &random, row: &row, acknowledged: &acknowledged,
                                     acknowledges: Set((0..<2_000).map { "#bulk\(round)n\($0)" }))
            }
            // The interrupted files import cleanly afterwards: nothing half-stored blocks them.
            for round in 0..<Self.kills {
                try CLIRunner().run(["import", mesh.root + "/bulk-\(round).csv"], dataDir: a.dir, timeout: 3600).check()
            }
            #expect(try Self.trends(a).count == 2_000 * Self.kills)
            row.acknowledged = acknowledged.count
            print(row)
            #expect(row.lost == 0 && row.corrupt == 0, "\(row)")
        }
    }

    @Test("signed import: kill -9 of 'import --signed' mid-file loses nothing acknowledged and re-imports cleanly")
    func signedImport() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let source = try mesh.add("S")
            let a = try mesh.add("A")
            let csvFile = mesh.root + "/source.csv"
            try Self.csv("signed", count: Self.signedCount).write(toFile: csvFile, atomically: true, encoding: .utf8)
            try CLIRunner().run(["import", csvFile], dataDir: source.dir, timeout: 3600).check()
            let export = mesh.root + "/export.jsonl"
            try CLIRunner().run(["export", "--output", export], dataDir: source.dir, timeout: 3600).check()
            let took = try Self.timedImport(mesh, ["--signed", export])
            var random = SeededRandom(seed: 63)
            var row = Row(scenario: "signed import")
            var acknowledged = Set<String>()
            for round in 0..<Self.kills {
                try Self.importRound(a, ["--signed", export], round: round, took: took, random: &random, row: &row, acknowledged: &acknowledged,
                                     acknowledges: Set((0..<Self.signedCount).map { "#signedn\($0)" }))
            }
            try CLIRunner().run(["import", "--signed", export], dataDir: a.dir, timeout: 3600).check()
            #expect(try Self.trends(a).count == Self.signedCount)
            try source.start()
            try a.start()
            #expect(try a.status().stateDigest == source.status().stateDigest, "the same entries, the same digest")
            row.acknowledged = acknowledged.count
            print(row)
            #expect(row.lost == 0 && row.corrupt == 0, "\(row)")
        }
    }

    @Test("bootstrap: a joining node killed again and again while it fetches a peer's entries keeps what it stored and converges")
    func bootstrap() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            let file = mesh.root + "/bootstrap.csv"
            try Self.csv("boot", count: Self.bootstrapCount).write(toFile: file, atomically: true, encoding: .utf8)
            try CLIRunner().run(["import", file], dataDir: a.dir, timeout: 3600).check()
            try a.start()
            let d = try mesh.add("D")
            try mesh.link("D", "A")
            var random = SeededRandom(seed: 64)
            var row = Row(scenario: "bootstrap from a peer")
            var storedBefore = 0
            var during = 0
            try d.start()
            for round in 0..<Self.kills {
                usleep(random.next(upperBound: UInt32(1_500_000)))
                // What D reported stored is what it acknowledged to itself: it must survive the kill.
                storedBefore = max(storedBefore, (try? d.status().entries) ?? 0)
                if storedBefore < Self.bootstrapCount { during += 1 }
                d.kill9()
                row.killed(d, round: round)
                row.recoverySeconds.append(try Self.restart(d))
                let after = try d.status().entries
                if after < storedBefore { row.lost = max(row.lost, storedBefore - after) }
                #expect(after >= storedBefore, "round \(round): \(after) entries after the restart, \(storedBefore) before the kill")
            }
            try eventually("D converges to A", within: Double(max(300, Self.bootstrapCount / 200))) {
                let (x, y) = (try a.status(), try d.status())
                return x.entries == Self.bootstrapCount && y.entries == Self.bootstrapCount && x.stateDigest == y.stateDigest
            }
            row.acknowledged = storedBefore
            print(row, "| \(during) kills while still fetching")
            #expect(row.lost == 0 && row.corrupt == 0, "\(row)")
        }
    }

    @Test("relay: the middle of a line, killed while both ends publish, loses nothing and the line converges")
    func relay() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A"), b = try mesh.add("B"), c = try mesh.add("C")
            try mesh.link("A", "B")
            try mesh.link("C", "B")
            for n in [a, b, c] { try n.start() }
            var random = SeededRandom(seed: 65)
            var row = Row(scenario: "relay between publishing peers")
            var published = 0
            var storedBefore = 0
            for round in 0..<Self.kills {
                // Both ends publish; B relays what it has until it is killed.
                for end in [a, c] {
                    for i in 0..<3 {
                        try end.publish("#relay\(end.name)\(round)n\(i)")
                        published += 1
                    }
                }
                usleep(100_000 + random.next(upperBound: UInt32(1_000_000)))
                storedBefore = (try? b.status().entries) ?? storedBefore
                b.kill9()
                row.killed(b, round: round)
                row.recoverySeconds.append(try Self.restart(b))
                let after = try b.status().entries
                if after < storedBefore { row.lost = max(row.lost, storedBefore - after) }
                #expect(after >= storedBefore, "round \(round): B has \(after) entries after the restart, \(storedBefore) before the kill")
            }
            try eventually("A, B and C converge to every published signal", within: 300) {
                let reports = try [a, b, c].map { try $0.status() }
                return reports.allSatisfy { $0.entries == published && $0.stateDigest == reports[0].stateDigest }
            }
            row.acknowledged = published
            print(row)
            #expect(row.lost == 0 && row.corrupt == 0, "\(row)")
        }
    }
}

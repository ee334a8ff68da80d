import ArgumentParser
import CoalitionCore
import CoalitionCrypto
import CoalitionNode
import CoalitionQuery
import Foundation
import Logging
import ServiceLifecycle

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a self-contained demonstration on embedded sample data, then clean up.",
        discussion: """
            Creates three platforms (video-app, photo-app and forum) in a temporary directory, each with its \
            own Ed25519 key, and starts their nodes on loopback, connected in a line: photo-app dials \
            video-app and forum dials photo-app, so forum hears of video-app only through photo-app's relaying.
            Every connection is mutual TLS 1.3 pinned to member keys. video-app publishes the embedded sample \
            signals; the demo shows them arriving at forum with the measured latency, then a retraction \
            (video-app → forum) and a false-positive dispute (forum → video-app) crossing the line the same \
            way, and ends with identical state digests on all three. Everything is stopped and removed.
            """
    )

    @Option(help: "Keep the temporary directory here instead of deleting it.") var keep: String?

    static let sampleCSV = """
        kind,value,category,severity,tlp,labels,expires_at,note,quality
        trend,#BlackoutChallenge,protection_of_minors/unsafe_challenges,critical,clear,choking;minors,,Deadly choking "challenge" resurfacing,
        trend,Tide Pod Challenge,protection_of_minors/unsafe_challenges,high,clear,ingestion,,,
        pdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,violence,high,green,gore,,Beheading video re-uploads,92
        md5,d41d8cd98f00b204e9800998ecf8427e,scams_and_fraud/phishing,medium,green,,,Empty-file hash: a known false positive,
        sha256,9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,risk_for_public_security/tvec_attacker_manifesto,critical,amber,manifesto,,,
        url,HTTPS://Scam.Example.com:443/login/../verify?acct=1#top,scams_and_fraud/phishing,high,green,credential-theft,2030-01-01T00:00:00Z,,
        """

    func run() async throws {
        Console.bootstrapLogging(level: .warning)
        let fm = FileManager.default
        let root = keep ?? (NSTemporaryDirectory() + "coalition-demo-\(UUID().uuidString.prefix(8))")
        defer { if keep == nil { try? fm.removeItem(atPath: root) } }
        do {
            try await play(root: root)
        } catch let e as CoalitionError {
            Console.printError("error: \(e.description)")
            throw ExitCode(1)
        }
        print(keep == nil ? "\nDone; stopped all three nodes and removed \(root)." : "\nDone; stopped all three nodes, kept \(root).")
    }

    private func play(root: String) async throws {
        func step(_ s: String) { print("\n▶ \(s)") }
        step("Three platforms create their nodes (Ed25519 keys through libsodium), on loopback")
        let names = ["video-app", "photo-app", "forum"]
        var dirs: [NodeDirectory] = []
        for name in names {
            let port = LoopbackPort.free()
            dirs.append(try NodeDirectory.initialize(at: root + "/" + name, name: name, listen: "127.0.0.1:\(port)"))
        }
        // Every platform accepts the other two as members; the line decides who dials whom.
        for (i, dir) in dirs.enumerated() {
            var config = dir.configuration
            config.members = dirs.enumerated().filter { $0.offset != i }.map { .init(id: $0.element.memberID.description, name: $0.element.configuration.name) }
            if i > 0 { config.peers = [.init(id: dirs[i - 1].memberID.description, address: dirs[i - 1].configuration.listen)] }
            config.api.listen = "127.0.0.1:\(LoopbackPort.free())"
            try dir.writeConfiguration(config)
        }
        dirs = try dirs.map { try NodeDirectory.open(at: $0.path) }
        for d in dirs { print("  \(d.configuration.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(d.memberID)  \(d.configuration.listen)") }
        print("  line: video-app ← photo-app ← forum (forum hears of video-app only through photo-app)")

        var logger = Logger(label: "coalition.demo")
        logger.logLevel = .warning
        let daemons = try dirs.map { try NodeDaemon(directory: $0, logger: logger) }
        let group = ServiceGroup(services: daemons.flatMap(\.services), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            let (video, photo, forum) = (daemons[0], daemons[1], daemons[2])

            step("The nodes connect: mutual TLS 1.3, each peer identified by the member key in its certificate")
            let t0 = Date()
            try await Self.until("both links are up") {
                try await photo.statusReport().peers.filter(\.connected).count == 2
            }
            print("  2 links up in \(Self.ms(since: t0))")

            step("video-app publishes the sample signals (URL and trend values are canonicalised)")
            let csv = root + "/sample.csv"
            try Self.sampleCSV.write(toFile: csv, atomically: true, encoding: .utf8)
            let t1 = Date()
            let report = try SignalImporter(node: video.directory).run(path: csv)
            video.gossip.entriesApplied()
            try await Self.until("forum holds every signal") { try forum.directory.store.statistics().entries == report.published }
            print("  \(report.published) signals published at video-app, verified and stored at forum in \(Self.ms(since: t1)) (relayed by photo-app)")
            try printList(forum.directory)

            step("video-app retracts the empty-file MD5 (a mistake); the retraction crosses the line")
            let rows = try video.directory.store.listSignals()
            let md5 = rows.first { $0.signal.kind == .md5 }!
            let trend = rows.first { $0.signal.value == "#blackoutchallenge" }!
            let t2 = Date()
            try video.directory.store.append([.plain(.retract(try Retraction(target: md5.id, reason: "false positive: empty file")))], by: video.directory.signer)
            video.gossip.entriesApplied()
            try await Self.until("forum sees the retraction") { try forum.directory.store.signal(md5.id)?.retractedBy != nil }
            print("  retracted at forum after \(Self.ms(since: t2))")

            step("forum disputes the trend signal as a false positive; the dispute crosses back to video-app")
            let t3 = Date()
            try forum.directory.store.append([.plain(.opinion(try Opinion(target: trend.id, stance: .dispute, note: "a news report about the challenge, not promotion")))],
                                             by: forum.directory.signer)
            forum.gossip.entriesApplied()
            try await Self.until("video-app sees the dispute") { try video.directory.store.verdict(of: trend.id) == .falsePositive }
            print("  verdict at video-app: \(try video.directory.store.verdict(of: trend.id).rawValue), after \(Self.ms(since: t3))")

            step("All three nodes hold the same entries and show the same merged state")
            try await Self.until("the digests agree") {
                Set(try daemons.map { try $0.directory.store.stateDigest() }).count == 1
            }
            for d in daemons {
                let s = try await d.statusReport()
                print("  \(s.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(s.entries) entries  state digest \(s.stateDigest.prefix(16))…  ✔")
            }
            step("Stopping the nodes gracefully (goodbye and TLS close_notify to every peer)")
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
    }

    /// Polls every 2 ms for at most 30 s.
    static func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw CoalitionError(.notFound, "timed out waiting until \(what)")
    }

    static func ms(since t: Date) -> String { "\(Int(Date().timeIntervalSince(t) * 1000)) ms" }

    private func printList(_ node: NodeDirectory) throws {
        print("  signals at \(node.configuration.name):")
        var filter = QueryService.SignalFilter()
        filter.includeInactive = true
        filter.limit = 1000
        for v in try node.query().list(filter).signals {
            print("    \(v.id.prefix(10))  \(v.kind.padding(toLength: 6, withPad: " ", startingAt: 0))  \(List.clip(v.value, 44).padding(toLength: 44, withPad: " ", startingAt: 0))  \(v.status.padding(toLength: 9, withPad: " ", startingAt: 0))  verdict: \(v.verdict)")
        }
    }
}

import ArgumentParser
import CoalitionCore
import CoalitionCrypto
import CoalitionNode
import CoalitionStore
import Foundation

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a self-contained demonstration on embedded sample data, then clean up.",
        discussion: """
            Creates two platforms (video-app and photo-app) in a temporary directory, each with its own key.
            video-app imports sample signals; photo-app verifies and ingests video-app's signed export,
            disputes a false positive and confirms another; video-app retracts a mistake; the two exchange
            exports again and end with identical state digests. Nothing is left behind.
            (Live gossip between nodes over mutual TLS comes with 'coalition run'.)
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

    func run() throws {
        Console.bootstrapLogging(level: .warning)
        let fm = FileManager.default
        let root = keep ?? (NSTemporaryDirectory() + "coalition-demo-\(UUID().uuidString.prefix(8))")
        defer { if keep == nil { try? fm.removeItem(atPath: root) } }
        try Console.reporting { try play(root: root) }
        print(keep == nil ? "\nDone; removed \(root)." : "\nDone; kept \(root).")
    }

    private func play(root: String) throws {
        func step(_ s: String) { print("\n▶ \(s)") }
        step("Two platforms create their nodes (Ed25519 keys through libsodium)")
        let video = try NodeDirectory.initialize(at: root + "/video-app", name: "video-app")
        let photo = try NodeDirectory.initialize(at: root + "/photo-app", name: "photo-app")
        print("  video-app  \(video.memberID)")
        print("  photo-app  \(photo.memberID)")

        step("video-app imports sample signals (URL and trend values are canonicalised)")
        let csv = root + "/sample.csv"
        try Self.sampleCSV.write(toFile: csv, atomically: true, encoding: .utf8)
        let report = try SignalImporter(node: video).run(path: csv)
        print("  \(report.published) signals published, \(report.rejected.count) rejected")
        try printList(video)

        step("photo-app verifies every signature and chain in video-app's export, then merges it")
        let t0 = Date()
        let r1 = try exchange(from: video, to: photo)
        print("  \(r1.published) entries verified and stored in \(Int(Date().timeIntervalSince(t0) * 1000)) ms")

        step("photo-app disputes the empty-file MD5 (a false positive) and confirms the trend")
        let rows = try photo.store.listSignals()
        let md5 = rows.first { $0.signal.kind == .md5 }!
        let trend = rows.first { $0.signal.value == "#blackoutchallenge" }!
        try photo.store.append([
            .plain(.opinion(try Opinion(target: md5.id, stance: .dispute, note: "matches every empty upload"))),
            .plain(.opinion(try Opinion(target: trend.id, stance: .confirm))),
        ], by: photo.signer)
        print("  md5 verdict at photo-app: \(try photo.store.verdict(of: md5.id).rawValue); trend: \(try photo.store.verdict(of: trend.id).rawValue)")

        step("video-app receives the opinions, agrees, and retracts its MD5 signal")
        _ = try exchange(from: photo, to: video)
        try video.store.append([.plain(.retract(try Retraction(target: md5.id, reason: "false positive: empty file")))], by: video.signer)
        _ = try exchange(from: video, to: photo)
        print("  md5 at photo-app is now: \(try photo.store.signal(md5.id)!.isActive(now: .nowMillis) ? "active" : "retracted")")

        step("Both nodes hold the same entries and show the same merged state")
        let dv = Hex.encode(try video.store.stateDigest()), dp = Hex.encode(try photo.store.stateDigest())
        print("  video-app state digest \(dv.prefix(16))…")
        print("  photo-app state digest \(dp.prefix(16))…  \(dv == dp ? "✔ identical" : "✘ DIFFERENT")")
        try printList(photo)
        guard dv == dp else { throw CoalitionError(.brokenChain, "the two nodes did not converge") }
    }

    private func exchange(from a: NodeDirectory, to b: NodeDirectory) throws -> SignalImporter.Report {
        var lines: [String] = []
        _ = try EntryExporter(store: a.store).export { lines.append($0) }
        return try EntryImporter(node: b).run(data: Data(lines.joined(separator: "\n").utf8))
    }

    private func printList(_ node: NodeDirectory) throws {
        print("  signals at \(node.configuration.name):")
        for row in try node.store.listSignals(includeInactive: true) {
            let v = try SignalView(row, node: node)
            print("    \(v.id.prefix(10))  \(v.kind.padding(toLength: 6, withPad: " ", startingAt: 0))  \(List.clip(v.value, 44).padding(toLength: 44, withPad: " ", startingAt: 0))  \(v.status.padding(toLength: 9, withPad: " ", startingAt: 0))  verdict: \(v.verdict)")
        }
    }
}

import CoalitionActions
import CoalitionAlert
import CoalitionCore
import CoalitionCrypto
import CoalitionQuery
import CoalitionStore
import Foundation
import Logging
import Testing

/// The outbox writer over a real SQLite file, without sockets: which events each change makes,
/// where the rules send them, and that a replay queues nothing twice.
@Suite struct AlertEngineTests {
    let store: EntryStore
    let outbox: OutboxStore
    let bank: ContentBank
    let engine: AlertEngine
    let us = try! Signer()
    let peer = try! Signer()

    init() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-alert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = try AppDatabase.open(path: dir.appendingPathComponent("node.sqlite").path)
        store = EntryStore(database: db, reader: nil)
        outbox = OutboxStore(database: db)
        bank = ContentBank(store: ContentBankStore(database: db))
        let names: [PublicKey: String] = [us.publicKey: "video-app", peer.publicKey: "forum"]
        let query = QueryService(store: store, names: { names[$0] ?? "?" })
        var config = AlertConfiguration()
        var crisis = AlertRule(name: "crisis", destination: "oncall")
        crisis.minSeverity = "critical"
        config.rules = [crisis, AlertRule(name: "everything", destination: "archive")]
        let fixed = config
        engine = AlertEngine(store: store, outbox: outbox, builder: EventBuilder(query: query, bank: bank), configuration: { fixed },
                             peers: nil, wakeup: Wakeup(), logger: Logger(label: "test"))
        try outbox.setEndpoint(name: "oncall", url: "http://127.0.0.1:9/", secret: WebhookSigner.newSecret())
        try outbox.setEndpoint(name: "archive", url: "http://127.0.0.1:9/", secret: WebhookSigner.newSecret())
    }

    func publish(_ kind: SignalKind, _ value: String, severity: Severity = .high, by signer: Signer? = nil) throws -> Entry {
        let s = try Signal(kind: kind, value: value, category: "protection_of_minors/unsafe_challenges", severity: severity)
        return try store.append([.plain(.publish(s))], by: signer ?? us)[0]
    }

    func drain() throws {
        var cursor: Int64 = 0
        while true {
            let next = try engine.queueEvents(after: cursor)
            if next == cursor { return }
            cursor = next
        }
    }

    @Test func changesBecomeEventsRoutedByRulesOnceEvenWhenReplayed() throws {
        let quiet = try publish(.url, "https://example.com/quiet")
        let urgent = try publish(.trend, "#blackoutchallenge", severity: .critical, by: peer)
        try store.append([.plain(.opinion(try Opinion(target: urgent.id, stance: .dispute, note: "satire account")))], by: us)
        try store.append([.plain(.retract(try Retraction(target: quiet.id, reason: "mistake")))], by: us)
        try drain()
        let archive = try outbox.recent(endpoint: "archive").reversed().map(\.message.eventType)
        #expect(archive == ["signal.published", "signal.published", "signal.disputed", "verdict.changed", "signal.retracted"])
        let oncall = try outbox.recent(endpoint: "oncall").reversed()
        #expect(oncall.map(\.message.eventType) == ["signal.published", "signal.disputed", "verdict.changed"], "critical signals only")
        #expect(oncall.allSatisfy { $0.message.priority == 1 })
        // Replaying the whole log (a crash before the cursor was saved) queues nothing new.
        try drain()
        #expect(try outbox.recent(endpoint: "archive").count == 5)
        let data = try #require(oncall.first).message.data
        let json = try #require(try JSONSerialization.jsonObject(with: Data(data)) as? [String: Any])
        let signal = try #require(json["signal"] as? [String: Any])
        #expect(signal["id"] as? String == urgent.id.hex && signal["authorName"] as? String == "forum")
    }

    @Test func criticalMessagesLeadTheQueue() throws {
        _ = try publish(.url, "https://example.com/a")
        _ = try publish(.url, "https://example.com/b")
        let c = try publish(.url, "https://example.com/c", severity: .critical)
        try drain()
        let head = try #require(try outbox.head(of: "archive"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(head.message.data)) as? [String: Any])
        #expect((json["signal"] as? [String: Any])?["id"] as? String == c.id.hex)
    }

    @Test func anArrivingSignalIsCheckedAgainstTheContentBank() throws {
        let hash = String(repeating: "5a", count: 32)
        var near = Array(hash)
        near[0] = "4"  // one bit off
        try bank.register([ContentItem(contentId: "upload-1", kind: "pdq", value: String(near)),
                           ContentItem(contentId: "upload-2", kind: "pdq", value: String(repeating: "a5", count: 32)),
                           ContentItem(contentId: "upload-3", kind: "url", value: "https://example.com/x")])
        _ = try publish(.pdq, hash)
        _ = try publish(.url, "https://example.com/x")
        try drain()
        let retro = try outbox.recent(endpoint: "archive").filter { $0.message.eventType == "retro.match" }.reversed()
        #expect(retro.count == 2)
        let ids = try retro.map { m -> [String] in
            let json = try #require(try JSONSerialization.jsonObject(with: Data(m.message.data)) as? [String: Any])
            return (json["matches"] as? [[String: Any]] ?? []).compactMap { $0["contentId"] as? String }
        }
        #expect(ids == [["upload-1"], ["upload-3"]])
    }

    @Test func aFullBacklogDropsAndCounts() throws {
        for i in 0..<5 { _ = try publish(.url, "https://example.com/\(i)") }
        let page = try store.feed.read(after: 0, limit: 100)
        let all = [AlertRule(name: "all", destination: "archive")]
        let events = try EventBuilder(query: QueryService(store: store, names: { _ in "?" }), bank: nil).events(for: page.changes, verdicts: [:], rules: all).events
        let messages = AlertEngine.route(events, rules: all)
        let (queued, dropped) = try outbox.enqueue(messages, through: page.next, maxBacklog: 3)
        #expect(queued["archive"] == 3 && dropped["archive"] == 2)
        #expect(try outbox.deliveries().first { $0.endpoint == "archive" }?.dropped == 2)
    }

    @Test func anEquivocationNamesItsAuthor() throws {
        let first = try Entry.sign(by: peer, seq: 1, prev: .zero, timestamp: 1_000,
                                   body: .publish(try Signal(kind: .url, value: "https://example.com/one", category: "violence")))
        let fork = try Entry.sign(by: peer, seq: 1, prev: .zero, timestamp: 1_001,
                                  body: .publish(try Signal(kind: .url, value: "https://example.com/two", category: "violence")))
        _ = try store.ingest([first])
        _ = try store.ingest([fork])
        try drain()
        let equivocations = try outbox.recent(endpoint: "archive").filter { $0.message.eventType == "equivocation.detected" }
        #expect(equivocations.count == 1)
        let message = try #require(equivocations.first)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(message.message.data)) as? [String: Any])
        #expect(json["member"] as? String == MemberID(publicKey: peer.publicKey).description && json["memberName"] as? String == "forum")
    }
}

import CoalitionAlert
import CoalitionCore
import CoalitionCrypto
import Foundation
import Testing

@Suite struct AlertRuleTests {

    func event(_ type: AlertEvent.EventType = .signalPublished, kind: SignalKind = .trend, value: String = "blackout challenge",
               category: String = "self-harm/challenge", severity: Severity = .high, tlp: TLP = .green, labels: [String] = ["viral"],
               author: String? = nil) -> AlertEvent {
        AlertEvent(id: "msg_1", type: type, at: 0,
                   subject: .init(kind: kind, value: value, category: category, severity: severity, tlp: tlp, labels: labels, author: author),
                   data: Array("{}".utf8))
    }

    @Test func anEmptyRuleMatchesEveryEvent() {
        let rule = AlertRule(name: "all", destination: "oncall")
        for t in AlertEvent.EventType.allCases where t != .peerLagging {
            #expect(rule.matches(event(t)), "\(t)")
        }
    }

    @Test func everyFilterMustHold() throws {
        var rule = AlertRule(name: "challenges", events: [.signalPublished], destination: "oncall")
        rule.categories = ["self-harm"]
        rule.minSeverity = "high"
        rule.kinds = ["trend"]
        rule.labels = ["viral", "minors"]
        rule.tlp = ["green", "clear"]
        rule.keywords = ["Blackout"]
        try rule.validate()
        #expect(rule.matches(event()))
        #expect(!rule.matches(event(.signalRetracted)))
        #expect(!rule.matches(event(category: "self-harmony")), "a category matches whole path segments only")
        #expect(!rule.matches(event(category: "spam")))
        #expect(!rule.matches(event(severity: .medium)))
        #expect(rule.matches(event(severity: .critical)))
        #expect(!rule.matches(event(kind: .url, value: "https://example.com/blackout")))
        #expect(!rule.matches(event(labels: [])))
        #expect(!rule.matches(event(tlp: .amber)))
        #expect(!rule.matches(event(value: "tide pod challenge")))
    }

    @Test func authorsAreMemberIDs() throws {
        let id = MemberID(publicKey: try PublicKey(bytes: [UInt8](repeating: 7, count: 32))).description
        var rule = AlertRule(name: "from-one", destination: "x")
        rule.authors = [id]
        try rule.validate()
        #expect(rule.matches(event(author: id)))
        #expect(!rule.matches(event(author: nil)))
        rule.authors = ["not-a-member"]
        #expect(throws: CoalitionError.self) { try rule.validate() }
    }

    @Test(arguments: [
        ("name", #"{"name":"Bad Name","destination":"x"}"#),
        ("destination", #"{"name":"ok","destination":""}"#),
        ("kind", #"{"name":"ok","destination":"x","kinds":["PDQ!"]}"#),
        ("severity", #"{"name":"ok","destination":"x","minSeverity":"apocalyptic"}"#),
        ("tlp", #"{"name":"ok","destination":"x","tlp":["purple"]}"#),
        ("lagEntries", #"{"name":"ok","destination":"x","lagEntries":0}"#),
    ])
    func aRuleThatCannotWorkIsRefusedWithItsField(field: String, json: String) throws {
        let rule = try JSONDecoder().decode(AlertRule.self, from: Data(json.utf8))
        let error = try #require(throws: CoalitionError.self) { try rule.validate() }
        #expect(error.code == .invalidField)
        #expect(error.field?.lowercased().contains(field.lowercased().prefix(4)) == true, "\(error)")
    }

    @Test func eventNamesAreParsedLeniently() throws {
        #expect(try AlertEvent.EventType(name: "published") == .signalPublished)
        #expect(try AlertEvent.EventType(name: "signal-disputed") == .signalDisputed)
        #expect(try AlertEvent.EventType(name: "retro.match") == .retroMatch)
        #expect(try AlertEvent.EventType(name: "peer-lagging") == .peerLagging)
        #expect(throws: CoalitionError.self) { try AlertEvent.EventType(name: "exploded") }
        let decoded = try JSONDecoder().decode(AlertRule.self, from: Data(#"{"name":"r","destination":"d","events":["retracted","verdict"]}"#.utf8))
        #expect(decoded.events == [.signalRetracted, .verdictChanged])
    }

    @Test func destinationsAreEachNamedOnce() {
        let rules = [AlertRule(name: "a", destination: "oncall"), AlertRule(name: "b", destination: "oncall"),
                     AlertRule(name: "c", events: [.signalRetracted], destination: "queue"), AlertRule(name: "d", destination: "archive")]
        #expect(AlertRule.destinations(of: event(), under: rules) == ["archive", "oncall"])
        #expect(AlertRule.destinations(of: event(.signalRetracted), under: rules) == ["archive", "oncall", "queue"])
    }

    @Test func lagRulesMatchOnlyTheirThreshold() {
        var small = AlertRule(name: "small", events: [.peerLagging], destination: "x")
        small.lagEntries = 10
        let big = AlertRule(name: "big", events: [.peerLagging], destination: "y")
        func lag(_ threshold: UInt64) -> AlertEvent {
            AlertEvent(id: "m", type: .peerLagging, at: 0, subject: .init(peer: "p", behind: 5000, lagThreshold: threshold), data: [])
        }
        #expect(small.matches(lag(10)) && !small.matches(lag(1000)))
        #expect(big.matches(lag(1000)) && !big.matches(lag(10)))
    }
}

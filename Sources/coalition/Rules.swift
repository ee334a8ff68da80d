import ArgumentParser
import CoalitionActions
import CoalitionAlert
import CoalitionCore
import CoalitionNode
import CoalitionQuery
import Foundation

struct Rules: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, list, remove and test alert rules.",
        discussion: """
            A rule sends the events it matches to a webhook endpoint (coalition webhooks add). Events: \
            \(AlertEvent.EventType.allCases.map(\.rawValue).joined(separator: ", ")). Every filter given must \
            hold; a filter repeated matches any of its values. Rules can also live in coalition.yaml \
            (alerts.rules) or be managed through /v1/rules. Changes apply to a running node at once.
            """,
        subcommands: [Add.self, List.self, Remove.self, Test.self],
        defaultSubcommand: List.self
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a rule (or replace the one with that name).",
            discussion: "Example: coalition rules add --name crisis --event signal.published --min-severity critical --destination oncall")
        @Option(help: "The rule's name.") var name: String
        @Option(name: .customLong("event"), help: "An event type to match (repeat; none means every type).") var events: [String] = []
        @Option(name: .customLong("kind"), help: "A signal kind (pdq, md5, sha256, url, trend; repeat).") var kinds: [String] = []
        @Option(name: .customLong("category"), help: "A taxonomy category; also matches its subcategories (repeat).") var categories: [String] = []
        @Option(name: .customLong("keyword"), help: "A word or phrase in the signal's value, category, labels or note (repeat).") var keywords: [String] = []
        @Option(help: "The least severity: low, medium, high or critical.") var minSeverity: String?
        @Option(name: .customLong("author"), help: "The author's member ID (repeat).") var authors: [String] = []
        @Option(name: .customLong("label"), help: "A label the signal must carry (repeat: any of them).") var labels: [String] = []
        @Option(name: .customLong("tlp"), help: "A TLP level (repeat).") var tlp: [String] = []
        @Option(help: "For peer.lagging: entries behind (default 1000).") var lagEntries: UInt64?
        @Option(help: "The webhook endpoint's name.") var destination: String
        @OptionGroup var node: NodeOptions

        func run() throws {
            let dir = try node.open()
            try Console.reporting {
                var rule = AlertRule(name: name, events: try events.map { n throws(CoalitionError) in try AlertEvent.EventType(name: n) }, destination: destination)
                rule.kinds = kinds
                rule.categories = categories
                rule.keywords = keywords
                rule.minSeverity = minSeverity
                rule.authors = authors
                rule.labels = labels
                rule.tlp = tlp
                rule.lagEntries = lagEntries
                try dir.setRule(rule)
            }
            print("rule '\(name)' sends \(events.isEmpty ? "every event" : events.joined(separator: ", ")) it matches to '\(destination)'")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules: those of coalition.yaml, then those added here or through the API.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            let rules = try Rules.all(dir)
            if json {
                let e = JSONEncoder()
                e.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try e.encode(rules), as: UTF8.self))
                return
            }
            if rules.isEmpty { print("no rules; add one with 'coalition rules add --name <rule> --destination <endpoint> …'") }
            for r in rules { print(Rules.describe(r)) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a rule added with the CLI or the API.")
        @Argument(help: "The rule's name.") var name: String
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            if dir.configuration.alerts.rules.contains(where: { $0.name == name }) {
                Console.printError("error: rule '\(name)' is defined in coalition.yaml; remove it there")
                throw ExitCode(1)
            }
            guard try dir.outbox.removeRule(name) else {
                Console.printError("error: no rule '\(name)'")
                throw ExitCode(1)
            }
            print("removed \(name)")
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show which recent events a rule would have matched.",
            discussion: """
                Rebuilds the events of the last --last entries of the change log (published, retracted, disputed, \
                confirmed, verdict changes, equivocations) and prints those the rule matches. Peer events and \
                retro-hunt matches depend on the moment and are not rebuilt.
                """)
        @Argument(help: "The rule's name.") var name: String
        @Option(help: "How many recent entries to look at (default 1000).") var last = 1000
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            guard let rule = try Rules.all(dir).first(where: { $0.name == name }) else {
                Console.printError("error: no rule '\(name)'; see 'coalition rules list'")
                throw ExitCode(1)
            }
            let store = dir.store
            let through = try store.feed.catchUp()
            var cursor = max(0, through - Int64(max(1, last)))
            let builder = EventBuilder(query: QueryService(store: store, names: { dir.displayName(of: $0) }), bank: nil)
            var seen = 0, matched = 0
            var verdicts: [EntryID: String] = [:]
            while cursor < through {
                let page = try store.feed.read(after: cursor, limit: 1000)
                guard page.next > cursor else { break }
                let (events, changed) = try builder.events(for: page.changes, verdicts: verdicts, rules: [rule], replay: true)
                for (s, v) in changed { verdicts[s] = v }
                for e in events {
                    seen += 1
                    guard rule.matches(e) else { continue }
                    matched += 1
                    let s = e.subject
                    print("\(SignalView.time(e.at))  \(e.type.rawValue)  \(s.kind?.name ?? "-")  \(s.category ?? "-")  \(s.severity?.description ?? "-")  \((s.value ?? s.author ?? "").prefix(64))")
                }
                cursor = page.next
            }
            print("\(matched) of \(seen) events of the last \(last) entries match rule '\(name)' (destination '\(rule.destination)')")
        }
    }

    static func all(_ dir: NodeDirectory) throws -> [AlertRule] { try dir.alertRules() }

    static func describe(_ r: AlertRule) -> String {
        var parts = ["\(r.name) → \(r.destination)", r.events.isEmpty ? "every event" : r.events.map(\.rawValue).joined(separator: ",")]
        if !r.kinds.isEmpty { parts.append("kind \(r.kinds.joined(separator: ","))") }
        if !r.categories.isEmpty { parts.append("category \(r.categories.joined(separator: ","))") }
        if !r.keywords.isEmpty { parts.append("keyword \(r.keywords.joined(separator: ","))") }
        if let s = r.minSeverity { parts.append("severity ≥ \(s)") }
        if !r.authors.isEmpty { parts.append("author \(r.authors.joined(separator: ","))") }
        if !r.labels.isEmpty { parts.append("label \(r.labels.joined(separator: ","))") }
        if !r.tlp.isEmpty { parts.append("tlp \(r.tlp.joined(separator: ","))") }
        if let l = r.lagEntries { parts.append("lag > \(l)") }
        parts.append("(\(r.source ?? "store"))")
        return parts.joined(separator: "  ")
    }
}

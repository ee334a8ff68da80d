import ArgumentParser
import CoalitionAlert
import CoalitionCore
import CoalitionNode
import CoalitionQuery
import Foundation

struct Webhooks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, list and remove webhook endpoints, and show their deliveries.",
        discussion: """
            Rules (coalition rules, or alerts.rules in coalition.yaml) send events to an endpoint by its \
            name. Every delivery is an HTTP POST of JSON signed as Standard Webhooks describes \
            (headers webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 with the endpoint's \
            secret, printed once when the endpoint is added). Deliveries come from a durable outbox: \
            at least once, in order per endpoint, critical signals first, retried with backoff \
            (alerts.* in coalition.yaml). HTTPS endpoints are verified against the system's trust store. \
            Changes apply to a running node within a second.
            """,
        subcommands: [Add.self, List.self, Remove.self, Deliveries.self],
        defaultSubcommand: List.self
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an endpoint (or give one a new URL and secret) and print its secret once.")
        @Argument(help: "A name for the endpoint (lowercase letters, digits, '.', '_', '-'), used by rules as their destination.") var name: String
        @Argument(help: "The http:// or https:// URL to POST to.") var url: String
        @Option(help: "Use this secret (whsec_ and base64 of 16–64 bytes) instead of a new random one.") var secret: String?
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            let given = secret
            let secret = try Console.reporting { try dir.setWebhook(name: name, url: url, secret: given) }
            print(secret)
            Console.printError("Endpoint '\(name)' posts to \(url). Its signing secret is above: give it to the receiver now, it is not shown again. "
                               + "Send events to it with 'coalition rules add --name <rule> --destination \(name) …'.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List endpoints with their delivery state (never their secrets).")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            let deliveries = try dir.outbox.deliveries()
            if json {
                let e = JSONEncoder()
                e.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try e.encode(deliveries), as: UTF8.self))
                return
            }
            if deliveries.isEmpty { print("no webhook endpoints; add one with 'coalition webhooks add <name> <url>'") }
            for d in deliveries {
                var line = "\(d.endpoint)  \(d.url)  pending \(d.pending)  delivered \(d.delivered)  dead \(d.dead)  dropped \(d.dropped)"
                if let oldest = d.oldestPendingAt { line += "  oldest pending \(SignalView.time(oldest))" }
                if let e = d.lastError { line += "  last error \(d.lastErrorAt.map(SignalView.time) ?? ""): \(e)" }
                print(line)
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an endpoint and every message queued for it.")
        @Argument(help: "The endpoint's name.") var name: String
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            guard try dir.outbox.removeEndpoint(name) else {
                Console.printError("error: no webhook endpoint '\(name)'")
                throw ExitCode(1)
            }
            print("removed \(name)")
        }
    }

    struct Deliveries: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the most recent messages and their state, newest first.")
        @Option(help: "Only this endpoint's.") var endpoint: String?
        @Option(help: "How many (default 50).") var limit = 50
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            for m in try dir.outbox.recent(endpoint: endpoint, limit: max(1, limit)) {
                let state = m.state == .pending ? "pending (next \(SignalView.time(m.nextAttemptAt)))" : m.state == .delivered ? "delivered" : "dead"
                print("\(SignalView.time(m.queuedAt))  \(m.message.endpoint)  \(m.message.messageID)  \(m.message.eventType)  \(state)  attempts \(m.attempts)"
                      + (m.lastError.map { "  last error: \($0)" } ?? ""))
            }
        }
    }
}

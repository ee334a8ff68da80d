import ArgumentParser
import CoalitionActions
import CoalitionCore
import CoalitionNode
import Foundation

struct Content: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The content bank: hashes of content this platform hosts, for retro-hunts.",
        discussion: """
            Every signal that arrives (by gossip, the CLI or the API) is checked against the bank at once: \
            PDQ hashes within alerts.retroHuntDistance, other kinds by equal value. A hit raises a \
            retro.match event listing the content IDs, which rules can send to a webhook. The bank stays \
            on this node: it is never gossiped or exported, and content IDs are opaque strings.
            """,
        subcommands: [Import.self, Remove.self, Stats.self],
        defaultSubcommand: Stats.self
    )

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register the items of a file: CSV with the header contentId,kind,value, or JSON Lines.",
            discussion: "Kinds: pdq, md5, sha256, url, trend. Bad lines are reported by number and skipped; items already registered are counted, not repeated.")
        @Argument(help: "The file.") var file: String
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            let bank = dir.contentBank()
            let report = try Console.reporting { try ContentImporter(bank: bank).importFile(file) }
            for e in report.errors.prefix(50) { Console.printError(e) }
            if report.errors.count > 50 { Console.printError("… and \(report.errors.count - 50) more lines refused") }
            print("\(report.lines) lines: \(report.registered) registered, \(report.alreadyRegistered) already registered, \(report.errors.count) refused")
            if !report.errors.isEmpty { throw ExitCode(1) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unregister a content ID's items (or one of them, with --kind and --value).")
        @Argument(help: "The content ID.") var contentId: String
        @Option(help: "Only the item of this kind…") var kind: String?
        @Option(help: "…and this value.") var value: String?
        @OptionGroup var node: NodeOptions
        func run() throws {
            guard (kind == nil) == (value == nil) else { throw ValidationError("give both --kind and --value, or neither") }
            let dir = try node.open()
            let bank = dir.contentBank()
            let n = try Console.reporting { try bank.unregister(contentId: contentId, kind: kind, value: value) }
            guard n > 0 else {
                Console.printError("error: nothing registered under '\(contentId)'")
                throw ExitCode(1)
            }
            print("removed \(n) item\(n == 1 ? "" : "s")")
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count the registered items by kind.")
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            let counts = try dir.contentBank().store.counts()
            if counts.isEmpty { print("the content bank is empty; register items with 'coalition content import FILE' or POST /v1/content") }
            for (kind, n) in counts.sorted(by: { $0.key < $1.key }) { print("\(kind)  \(n)") }
        }
    }
}

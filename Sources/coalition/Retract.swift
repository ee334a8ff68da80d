import ArgumentParser
import CoalitionCore
import CoalitionNode

struct Retract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retract one of this platform's own signals.",
        discussion: "The retraction is a signed entry: it propagates like a signal and every node stops matching the signal."
    )

    @Argument(help: "The signal ID (64 hex characters, as shown by 'list').") var signal: String
    @Option(help: "Why, for other platforms' moderators (required).") var reason: String

    @OptionGroup var node: NodeOptions

    func run() async throws {
        let dir = try node.open()
        let entry = try Console.reporting { () throws -> Entry in
            try dir.retract(try EntryID(hex: signal.lowercased()), reason: reason)
        }
        await node.notifyDaemon()
        print("Retracted \(signal) (entry \(entry.id.hex))")
    }
}

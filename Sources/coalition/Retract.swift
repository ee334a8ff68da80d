import ArgumentParser
import CoalitionCore
import CoalitionNode

struct Retract: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retract one of this platform's own signals.",
        discussion: "The retraction is a signed entry: it propagates like a signal and every node stops matching the signal."
    )

    @Argument(help: "The signal ID (64 hex characters, as shown by 'list').") var signal: String
    @Option(help: "Why, for other platforms' moderators (required).") var reason: String

    @OptionGroup var node: NodeOptions

    func run() throws {
        let dir = try node.open()
        let entry = try Console.reporting { () throws -> Entry in
            let id = try EntryID(hex: signal.lowercased())
            guard let row = try dir.store.signal(id) else { throw CoalitionError(.notFound, "no signal \(signal) in this node") }
            guard row.author == dir.signer.publicKey else {
                throw CoalitionError(.forbidden, "signal \(signal) was published by \(dir.displayName(of: row.author)); only its author can retract it (use 'coalition opine --stance dispute')")
            }
            guard row.retractedBy == nil else { throw CoalitionError(.forbidden, "signal \(signal) is already retracted") }
            return try dir.store.append([.plain(.retract(try Retraction(target: id, reason: reason)))], by: dir.signer)[0]
        }
        node.notifyDaemon()
        print("Retracted \(signal) (entry \(entry.id.hex))")
    }
}

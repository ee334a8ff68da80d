import ArgumentParser
import CoalitionCore
import CoalitionNode

struct Opine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record this platform's opinion on any signal: confirm, dispute (false positive) or seen.",
        discussion: "The latest opinion per platform and signal wins. A signal with only confirms is 'confirmed'; confirms mixed with disputes make it 'disputed'."
    )

    @Argument(help: "The signal ID.") var signal: String
    @Option(help: "confirm, dispute or seen.") var stance: String
    @Option(help: "An optional note.") var note: String?

    @OptionGroup var node: NodeOptions

    func run() async throws {
        let dir = try node.open()
        let verdict = try Console.reporting { () throws -> String in
            let id = try EntryID(hex: signal.lowercased())
            try dir.opine(id, stance: stance, note: note)
            return try dir.query().signal(id).verdict
        }
        await node.notifyDaemon()
        print("Recorded \(stance) on \(signal); verdict now: \(verdict)")
    }
}

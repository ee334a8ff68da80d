import ArgumentParser
import CoalitionNode

struct ID: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Print this node's member ID.",
        discussion: "The member ID spells the node's Ed25519 public key in base32 with check characters (like Syncthing device IDs)."
    )

    @OptionGroup var node: NodeOptions

    func run() throws {
        print(try node.open().memberID)
    }
}

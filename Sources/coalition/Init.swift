import ArgumentParser
import CoalitionNode

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create this platform's node: a member key, a configuration file and an empty store.",
        discussion: """
            Generates an Ed25519 key pair with libsodium and writes, in the data directory:
              member.key       the secret key (mode 0600; the node refuses looser permissions)
              coalition.yaml   a commented configuration file
              coalition.sqlite the store
            Prints the member ID: the key in a typo-checked form to give to other platforms' admins.
            """
    )

    @Option(help: "This platform's display name, shown to other members (for example video-app).")
    var name: String

    @Option(help: "The gossip listener, host:port (default 0.0.0.0:7420).") var listen: String?

    @Option(help: "The HTTP API listener, host:port (default 127.0.0.1:7421); \"\" disables the API.") var apiListen: String?

    @OptionGroup var node: NodeOptions

    func run() throws {
        let dir = try Console.reporting { try NodeDirectory.initialize(at: node.path, name: name, listen: listen, apiListen: apiListen, logger: node.logger()) }
        print("Initialised node '\(name)' in \(dir.path)")
        print("Member ID: \(dir.memberID)")
        print("Give this ID to the other platforms' admins; keep \(dir.path)/member.key secret.")
    }
}

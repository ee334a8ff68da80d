import ArgumentParser
import CoalitionCore
import CoalitionNode
import Foundation

struct Key: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage this node's member key.",
        subcommands: [Rotate.self, Replace.self]
    )

    /// Refuses to go on without `--yes`, saying why.
    static func confirm(_ yes: Bool, _ why: String) throws {
        guard yes else {
            Console.printError("error: " + why)
            throw ExitCode(1)
        }
    }

    /// Runs `body` on the opened directory while holding its lock, so that no node starts with
    /// the old key meanwhile.
    static func onStoppedNode<T>(_ node: NodeOptions, _ body: (NodeDirectory) throws -> T) throws -> T {
        try Console.reporting {
            let lock = try NodeLock.acquire(directory: URL(fileURLWithPath: node.path).standardizedFileURL.path)
            defer { withExtendedLifetime(lock) {} }
            return try body(try node.open())
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the member key with a new one, announced to the coalition by a signed rotation entry.",
            discussion: """
                Makes a new Ed25519 key, signs a rotation entry with the current key that names the new one \
                (countersigned by it), stores it, and swaps member.key atomically. A running node does this \
                itself when asked over its admin socket: it pushes the entry to its peers and reconnects with \
                the new TLS identity. A stopped node is rotated in place and uses the new key when it starts.

                Peers need no configuration edit: they learn the successor from the entry (gossip) or from the \
                proof in this node's new TLS certificate, and accept it in place of the old ID. Entries signed \
                by the old key after the rotation are refused everywhere. The old key is kept beside the key \
                file, 0600, only to open restricted entries sealed to it.

                The rotation cannot be undone. If the old key was stolen, see docs/key-rotation.md.
                """
        )

        @Flag(help: "Confirm: the rotation is permanent.") var yes = false
        @Flag(help: "Print the result as JSON.") var json = false
        @OptionGroup var node: NodeOptions

        func run() async throws {
            let logger = node.logger()
            try Key.confirm(yes, "a key rotation is permanent: the current member ID is retired for good. Run again with --yes to rotate.")
            let rotation: NodeDirectory.Rotation
            var online = false
            if let reply = try? await AdminClient.send("rotate-key", to: node.adminSocket, timeout: .seconds(60)) {
                guard let r = try? JSONDecoder().decode(NodeDirectory.Rotation.self, from: Data(reply.utf8)) else {
                    Console.printError("error: the running node could not rotate its key: \(reply)")
                    throw ExitCode(1)
                }
                rotation = r
                online = true
            } else {
                // No node answers: rotate in place, holding the directory's lock so that no node
                // starts with the old key meanwhile.
                rotation = try Key.onStoppedNode(node) { try $0.rotateKey(logger: logger).rotation }
            }
            if json {
                print(Console.json(rotation))
                return
            }
            print("""
                rotated the member key\(online ? " of the running node" : " (the node is not running; it uses the new key when it starts)")
                  old ID: \(rotation.oldID)  (retired)
                  new ID: \(rotation.newID)
                  rotation entry: \(rotation.entryID)

                What the other members must do: nothing. Their nodes learn the new key from the rotation entry or
                from this node's TLS certificate and accept it in place of the old ID, with no configuration edit.
                At their convenience they may replace the old ID under 'members' and 'peers' in coalition.yaml.

                Back up the new member.key now: the old key no longer signs.
                """)
        }
    }

    struct Replace: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the member key with a new one WITHOUT a rotation entry (after a key theft).",
            discussion: """
                For a key that was stolen and rotated by the thief, or that must not sign even a rotation: \
                makes a new key, a new member ID with a new chain, and tells no one. Every other member's \
                admin must then add the new ID by hand ('coalition members add') and remove the old one, \
                after checking it with you out of band. Run it on a stopped node. See docs/key-rotation.md.
                """
        )

        @Flag(help: "Confirm: the old member ID is abandoned.") var yes = false
        @OptionGroup var node: NodeOptions

        func run() async throws {
            let logger = node.logger()
            try Key.confirm(yes, "replacing the key abandons the current member ID, and the other members must configure the new one by hand. Run again with --yes.")
            if (try? await AdminClient.send("ping", to: node.adminSocket, timeout: .seconds(5))) != nil {
                Console.printError("error: a node is running in \(node.path); stop it first ('coalition key replace' works on a stopped node)")
                throw ExitCode(1)
            }
            let ids = try Key.onStoppedNode(node) { try $0.replaceKey(logger: logger) }
            print("""
                replaced the member key (no rotation entry was made)
                  old ID: \(ids.oldID)  (abandoned)
                  new ID: \(ids.newID)

                What the other members must do: after checking the new ID with you out of band (not by email
                from the compromised platform alone), run on their nodes:
                  coalition members add \(ids.newID) --name <this platform>
                  coalition members remove \(ids.oldID)
                and update its 'peers' entry. Back up the new member.key now.
                """)
        }
    }
}

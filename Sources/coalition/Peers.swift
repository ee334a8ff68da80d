import ArgumentParser
import CoalitionCore
import CoalitionNode

struct Peers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add or remove the peers this node dials.",
        discussion: """
            A peer is a member this node connects to at host:port (its 'listen' address, TCP, mutual TLS).
            One side dialing is enough: a connection carries gossip both ways. The change is written to \
            coalition.yaml and applied by a running node at once.
            """,
        subcommands: [List.self, Add.self, Remove.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List configured peers.")
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            if dir.configuration.peers.isEmpty { print("no peers") }
            for p in dir.configuration.peers {
                let name = dir.configuration.members.first { $0.id == p.id }?.name ?? "?"
                print("\(p.id)  \(p.address)  \(name)")
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dial a peer at host:port (adding it as a member if needed).")
        @Argument(help: "The peer's member ID.") var memberID: String
        @Argument(help: "Its gossip address, host:port ([::1]:7420 for IPv6).") var address: String
        @Option(help: "Display name, when the peer is not a member yet.") var name: String?
        @OptionGroup var node: NodeOptions
        func run() async throws {
            let result = try await ConfigEditor(node: node).edit { config in
                let id = try MemberID(parsing: memberID)
                guard id != config.selfID else { throw CoalitionError(.configuration, "\(id.short) is this node's own ID") }
                let addr = try HostPort(parsing: address)
                var notes: [String] = []
                if !config.members.contains(where: { (try? MemberID(parsing: $0.id)) == id }) {
                    config.members.append(.init(id: id.description, name: name ?? id.short))
                    notes.append("added member \(id.short)")
                }
                config.peers.removeAll { (try? MemberID(parsing: $0.id)) == id }
                config.peers.append(.init(id: id.description, address: addr.description))
                notes.append("peer \(id.short) at \(addr)")
                return notes.joined(separator: "; ")
            }
            print(result)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop dialing a peer (it stays a member).")
        @Argument(help: "The peer's member ID.") var memberID: String
        @OptionGroup var node: NodeOptions
        func run() async throws {
            let result = try await ConfigEditor(node: node).edit { config in
                let id = try MemberID(parsing: memberID)
                let before = config.peers.count
                config.peers.removeAll { (try? MemberID(parsing: $0.id)) == id }
                guard config.peers.count < before else { throw CoalitionError(.notFound, "\(id.short) is not a peer") }
                return "removed peer \(id.short) (still a member; 'coalition members remove' to refuse it)"
            }
            print(result)
        }
    }
}

/// Edits coalition.yaml for `members` and `peers`, then asks a running node to reload.
struct ConfigEditor {
    let node: NodeOptions

    /// The configuration being edited, with this node's ID for checks.
    struct Draft {
        var members: [NodeConfiguration.Member]
        var peers: [NodeConfiguration.Peer]
        let selfID: MemberID
    }

    func edit(_ change: (inout Draft) throws -> String) async throws -> String {
        let summary = try Console.reporting {
            let dir = try NodeDirectory.open(at: node.path, logger: node.logger())
            var config = dir.configuration
            var draft = Draft(members: config.members, peers: config.peers, selfID: dir.memberID)
            let summary = try change(&draft)
            config.members = draft.members
            config.peers = draft.peers
            try dir.writeConfiguration(config)
            return summary
        }
        let applied: String
        if let reply = try? await AdminClient.send("reload", to: node.adminSocket) {
            applied = reply.contains("\"ok\":true") ? "applied by the running node" : "the running node refused it: \(reply)"
        } else {
            applied = "applies when the node starts"
        }
        return "\(summary) (\(applied))"
    }
}

import ArgumentParser
import CoalitionCore
import CoalitionNode

struct Members: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, add or remove the members this node accepts.",
        discussion: """
            Members are the platforms whose entries this node stores and relays, and the only ones allowed \
            to connect. The change is written to coalition.yaml and applied by a running node at once.
            """,
        subcommands: [List.self, Add.self, Remove.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accepted members.")
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            if dir.configuration.members.isEmpty { print("no members: every valid author is accepted, and no peer may connect") }
            for m in dir.configuration.members { print("\(m.id)  \(m.name)") }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept a member (by the member ID its admin gave you).")
        @Argument(help: "The member ID (from 'coalition id' on that platform).") var memberID: String
        @Option(help: "A display name for it (for example photo-app).") var name: String
        @OptionGroup var node: NodeOptions
        func run() async throws {
            let result = try await ConfigEditor(node: node).edit { config in
                let id = try MemberID(parsing: memberID)
                guard id != config.selfID else { throw CoalitionError(.configuration, "\(id.short) is this node's own ID") }
                if let i = config.members.firstIndex(where: { (try? MemberID(parsing: $0.id)) == id }) {
                    config.members[i].name = name
                    return "updated member \(id.short) (\(name))"
                }
                config.members.append(.init(id: id.description, name: name))
                return "added member \(id.short) (\(name))"
            }
            print(result)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop accepting a member (its peer entry goes too).")
        @Argument(help: "The member ID.") var memberID: String
        @OptionGroup var node: NodeOptions
        func run() async throws {
            let result = try await ConfigEditor(node: node).edit { config in
                let id = try MemberID(parsing: memberID)
                let before = config.members.count
                config.members.removeAll { (try? MemberID(parsing: $0.id)) == id }
                guard config.members.count < before else { throw CoalitionError(.notFound, "\(id.short) is not a member") }
                config.peers.removeAll { (try? MemberID(parsing: $0.id)) == id }
                return "removed member \(id.short); its entries already stored stay"
            }
            print(result)
        }
    }
}

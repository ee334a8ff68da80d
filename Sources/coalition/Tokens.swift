import ArgumentParser
import CoalitionCore
import CoalitionNode
import CoalitionQuery
import Foundation

struct Tokens: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke bearer tokens for the HTTP API.",
        discussion: """
            Scopes: lookup (lookups, text matching, signals, changes), publish (publish, retract, opine as \
            this platform) and admin (status; implies lookup). Only a SHA-256 hash of a token is stored:
            its value is printed once, at creation. Changes apply to a running node at once.
            """,
        subcommands: [Create.self, List.self, Revoke.self],
        defaultSubcommand: List.self
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it (once).")
        @Option(help: "A name for the system that will use it (for example upload-pipeline).") var name: String
        @Option(name: .customLong("scope"), help: "lookup, publish or admin; repeat for several.") var scopes: [String]
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            let (token, plaintext) = try Console.reporting { try dir.createToken(name: name, scopes: scopes) }
            print(plaintext)
            Console.printError("Created token '\(token.name)' (id \(token.id), scopes \(token.scopes.sorted().map(\.rawValue).joined(separator: ","))). "
                               + "Store it now: it is not shown again. Use it as 'Authorization: Bearer <token>'.")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their values).")
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            let tokens = try dir.tokens.list()
            if tokens.isEmpty { print("no tokens; create one with 'coalition tokens create --name <system> --scope lookup'") }
            for t in tokens {
                let state = t.revokedAt.map { "revoked \(SignalView.time($0))" } ?? "active"
                print("\(t.id)  \(t.name.padding(toLength: 24, withPad: " ", startingAt: 0))  \(t.scopes.sorted().map(\.rawValue).joined(separator: ",").padding(toLength: 20, withPad: " ", startingAt: 0))  created \(SignalView.time(t.createdAt))  \(state)")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by ID or name; it stops working at once.")
        @Argument(help: "The token's ID or name.") var token: String
        @OptionGroup var node: NodeOptions
        func run() throws {
            let dir = try node.open()
            try Console.reporting { try dir.tokens.revoke(token) }
            print("revoked \(token)")
        }
    }
}

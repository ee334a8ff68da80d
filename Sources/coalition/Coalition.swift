import ArgumentParser
import CoalitionNode
import Logging

/// The `coalition` command: the admin CLI of a Coalition node.
@main
struct Coalition: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coalition",
        abstract: "A node of Coalition: platforms sharing signed harmful-content signals, with no central authority.",
        discussion: """
            Every platform runs one node. Signals (PDQ, MD5 and SHA-256 hashes, URLs, and the hashtags or \
            keywords of dangerous trends) are signed with the platform's Ed25519 member key and merged with \
            CRDT set semantics, so every node that has seen the same entries shows the same state.

            Start with: coalition init --name <platform>.
            Data lives in --data-dir (default: $COALITION_DATA_DIR, else ~/.coalition).
            The wire format and rules are in Protocol/SPEC.md.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, ID.self, Publish.self, Retract.self, Opine.self, List.self, Show.self,
            Import.self, Export.self, Hash.self, Lookup.self, MatchText.self, Run.self, Status.self, Peers.self, Members.self, Tokens.self,
            Rules.self, Webhooks.self, Content.self, Key.self, Report.self, Demo.self,
        ]
    )
}

import ArgumentParser
import CoalitionCore
import CoalitionNode
import CoalitionQuery

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one signal: its metadata, sources, opinions and verdict."
    )

    @Argument(help: "The signal ID (64 hex characters, or a unique prefix of at least 8).") var signal: String
    @Flag(help: "Print JSON.") var json = false

    @OptionGroup var node: NodeOptions

    func run() throws {
        let dir = try node.open()
        let query = dir.query()
        let view = try Console.reporting { try query.signal(try query.resolveSignal(signal)) }
        if json { print(Console.json(view)); return }
        print("""
            Signal    \(view.id)
            Kind      \(view.kind)
            Value     \(view.value)
            Category  \(view.category)
            Severity  \(view.severity)    TLP \(view.tlp)\(view.restricted ? " (restricted, decrypted for this node)" : "")
            Labels    \(view.labels.isEmpty ? "-" : view.labels.joined(separator: ", "))
            Note      \(view.note ?? "-")
            Published \(view.publishedAt) by \(view.authorName) (\(view.author))
            Expires   \(view.expiresAt ?? "never")
            Status    \(view.status)\(view.retractionReason.map { " — \($0)" } ?? "")
            Verdict   \(view.verdict)
            """)
        if let q = view.quality { print("Quality   \(q)") }
        print("Sources   \(view.sources.count)")
        for s in view.sources { print("  \(s.signal.prefix(12))  \(s.authorName)  \(s.publishedAt)  \(s.status)") }
        print("Opinions  \(view.opinions.count)")
        for o in view.opinions { print("  \(o.authorName)  \(o.stance)  \(o.at)\(o.note.map { "  \($0)" } ?? "")") }
    }
}

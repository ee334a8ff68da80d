import ArgumentParser
import CoalitionCore
import CoalitionAPI
import CoalitionNode

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show one signal: its metadata, sources, opinions and verdict."
    )

    @Argument(help: "The signal ID (64 hex characters, or a unique prefix of at least 8).") var signal: String
    @Flag(help: "Print JSON.") var json = false

    @OptionGroup var node: NodeOptions

    func run() throws {
        let dir = try node.open()
        let view = try Console.reporting { () throws -> SignalView in
            let id: EntryID
            if signal.count == 64 { id = try EntryID(hex: signal.lowercased()) } else {
                guard signal.count >= 8 else { throw CoalitionError(.invalidField, "give at least 8 hex characters", field: "signal") }
                let matches = try dir.store.listSignals(includeInactive: true, limit: 1_000_000).filter { $0.id.hex.hasPrefix(signal.lowercased()) }
                guard matches.count == 1 else {
                    throw CoalitionError(.notFound, matches.isEmpty ? "no signal starts with \(signal)" : "\(signal) matches \(matches.count) signals; give more characters")
                }
                id = matches[0].id
            }
            guard let row = try dir.store.signal(id) else { throw CoalitionError(.notFound, "no signal \(signal) in this node") }
            return try SignalView(row, node: dir)
        }
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

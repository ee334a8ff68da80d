import ArgumentParser
import CoalitionCore
import CoalitionNode
import CoalitionQuery

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List signals in the merged state, newest first.",
        discussion: "Retracted and expired signals are hidden unless --all is given."
    )

    @Option(help: "Only this kind.") var kind: String?
    @Option(help: "Only this category (a category also matches its keywords).") var category: String?
    @Flag(help: "Include retracted and expired signals.") var all = false
    @Option(help: "At most this many.") var limit = 100
    @Flag(help: "Print JSON instead of a table.") var json = false

    @OptionGroup var node: NodeOptions

    func run() throws {
        let dir = try node.open()
        let views = try Console.reporting {
            try dir.query().list(try QueryService.SignalFilter(kind: kind, category: category, origin: nil, includeInactive: all,
                                                               since: nil, cursor: nil, limit: limit, maxLimit: .max)).signals
        }
        if json { print(Console.json(views)); return }
        guard !views.isEmpty else { print("No signals."); return }
        let header = ["ID", "KIND", "VALUE", "CATEGORY", "SEVERITY", "VERDICT", "SOURCES", "STATUS", "BY"]
        let table = views.map { v in
            [String(v.id.prefix(12)), v.kind, Self.clip(v.value, 40), Self.clip(v.category, 36), v.severity, v.verdict,
             String(v.sources.count), v.status, v.authorName]
        }
        print(Self.render([header] + table))
    }

    static func clip(_ s: String, _ n: Int) -> String { s.count <= n ? s : String(s.prefix(n - 1)) + "…" }

    static func render(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { r in
            r.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

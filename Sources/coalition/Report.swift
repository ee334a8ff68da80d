import ArgumentParser
import CoalitionCore
import CoalitionDashboard
import CoalitionNode
import CoalitionQuery

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the transparency report of a period.",
        discussion: """
            The coalition-wide part counts, per member, category and kind, the signals published, retracted \
            (by reason), disputed and confirmed, and the members flagged as equivocators. It is computed only \
            from the signed entries in the merged state, so every node holding the same entries prints the same \
            numbers and the same digest: compare digests with the other members to check a joint report.
            Restricted (sealed) signals are counted per member only, since a node that is not a recipient cannot \
            read their category.

            The local part is this node's own: lookups, matches by category, overrides set, and the median time \
            for another member's signal to reach this node. Lookup counts reach the store every 10 s.

            Dates are UTC; --to is inclusive. An RFC 3339 date-time may be given instead (--to then excluded).
            """
    )

    @Option(help: "First day (YYYY-MM-DD, UTC). Default: the 30 days that end with --to.") var from: String?
    @Option(help: "Last day, inclusive (YYYY-MM-DD, UTC). Default: today.") var to: String?
    @Option(help: "json, csv or html (a whole document, to print or archive). Default: a summary table.") var format: String?

    @OptionGroup var node: NodeOptions

    func validate() throws {
        if let format, !["json", "csv", "html", "text"].contains(format) {
            throw ValidationError("--format is json, csv, html or text, got '\(format)'")
        }
    }

    func run() throws {
        let dir = try node.open()
        let report = try Console.reporting {
            let period = try QueryService.reportPeriod(from: from, to: to)
            return try dir.query().report(from: period.from, to: period.to, node: dir.memberID.description,
                                          own: dir.store.readers.map(\.publicKey))
        }
        switch format ?? "text" {
        case "json": print(Console.json(report))
        case "csv": print(report.csv(), terminator: "")
        case "html": print(ReportDocument.html(report, nodeName: dir.configuration.name))
        default: print(Self.text(report))
        }
    }

    static func text(_ r: TransparencyReport) -> String {
        let c = r.coalition
        func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
        var out = "Transparency report \(r.from) to \(r.to) (end excluded)\n\nCoalition-wide (from the merged state):\n"
        let header = ["MEMBER", "PUBLISHED", "RETRACTED", "DISPUTED", "CONFIRMED", "DISPUTE RATE", "RESTRICTED"]
        var rows = c.byMember.map { m in
            [m.name ?? String(m.key.prefix(12)), "\(m.published)", "\(m.retracted)", "\(m.disputed)", "\(m.confirmed)", pct(m.disputeRate), "\(m.restricted)"]
        }
        let t = c.total
        rows.append(["all", "\(t.published)", "\(t.retracted)", "\(t.disputed)", "\(t.confirmed)", pct(t.disputeRate), "\(t.restricted)"])
        out += List.render([header] + rows) + "\n"
        if !c.byCategory.isEmpty {
            out += "\n" + List.render([["CATEGORY", "PUBLISHED", "RETRACTED", "DISPUTED", "CONFIRMED"]]
                + c.byCategory.map { [$0.key, "\($0.published)", "\($0.retracted)", "\($0.disputed)", "\($0.confirmed)"] }) + "\n"
        }
        if !c.retractedByReason.isEmpty {
            out += "\nRetractions by reason:\n" + c.retractedByReason.sorted { $0.value > $1.value }.map { "  \($0.value)  \($0.key)" }.joined(separator: "\n") + "\n"
        }
        out += "Equivocators: \(c.equivocators.isEmpty ? "none" : c.equivocators.joined(separator: ", "))\n"
        out += "Digest: \(c.digest)\n"
        let l = r.local
        out += "\nThis node only: \(l.lookups) lookups, matches \(l.matchesByCategory.isEmpty ? "none" : l.matchesByCategory.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
        out += "; overrides \(l.overrides.isEmpty ? "none" : l.overrides.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))"
        out += "; \(l.arrivals) signals received, median time to arrive \(l.medianArrivalSeconds.map { String(format: "%.2f s", $0) } ?? "n/a")"
        return out
    }
}

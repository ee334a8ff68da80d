import ArgumentParser
import CoalitionCore
import CoalitionNode
import Foundation

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish signals in bulk from a CSV or JSONL file, or ingest an export of signed entries.",
        discussion: """
            CSV: a header line naming the columns, then one signal per line. Columns:
              kind,value,category,severity,tlp,labels,expires_at,note,quality,recipients
            (kind, value and category are required; labels and recipients are ';'-separated).
            JSONL: one object per line with the same keys (labels and recipients as arrays).
            Lines starting with '#' and empty lines are skipped. Every bad line is reported with its \
            number and reason and nothing of it is stored; good lines are published in atomic chunks.
            Signals this node already publishes (same kind and value, still active) are skipped.

            --signed ingests the JSONL written by 'coalition export' from any member: every entry's \
            signature and chain are verified before it is stored, on all cores while earlier entries \
            are written. Restoring 10,000 entries or more into an empty store loads them in bulk:
            the store's lookup indexes are built once at the end (lookups by a running daemon are \
            slow until then).
            """
    )

    @Argument(help: "The file to import.") var file: String
    @Option(help: "csv or jsonl (default: from the file extension).") var format: String?
    @Flag(help: "The file is an export of signed entries ('coalition export').") var signed = false

    @OptionGroup var node: NodeOptions

    func run() async throws {
        let dir = try node.open()
        let report = try Console.reporting { () throws -> SignalImporter.Report in
            if signed {
                guard let data = FileManager.default.contents(atPath: file) else { throw CoalitionError(.notFound, "cannot read \(file)") }
                return try EntryImporter(node: dir).run(data: data)
            }
            let fmt: SignalImporter.Format?
            if let format {
                guard let f = SignalImporter.Format(rawValue: format.lowercased()) else {
                    throw CoalitionError(.invalidField, "'\(format)' is not a format (csv, jsonl)", field: "format")
                }
                fmt = f
            } else { fmt = nil }
            return try SignalImporter(node: dir).run(path: file, format: fmt) { Console.progress($0, $1, label: "importing") }
        }
        if report.published > 0 { await node.notifyDaemon() }
        if signed {
            print("\(report.lines) lines read: \(report.published) entries stored, \(report.skipped.count) already stored, "
                + "\(report.pending.count) pending, \(report.refused.count) refused by policy, \(report.rejected.count) rejected.")
        } else {
            print("\(report.lines) lines read: \(report.published) signals published, \(report.skipped.count) skipped, \(report.rejected.count) rejected.")
        }
        if report.bulkLoaded > 0 { print("The store was empty: \(report.bulkLoaded) entries were loaded in bulk, and its indexes built once.") }
        for s in report.skipped.prefix(20) { print("  skipped \(s)") }
        if report.skipped.count > 20 { print("  … and \(report.skipped.count - 20) more skipped") }
        for p in report.pending { print("  pending \(p)") }
        for r in report.refused { print("  refused \(r)") }
        for r in report.rejected { print("  rejected \(r)") }
        if !report.rejected.isEmpty || !report.refused.isEmpty { throw ExitCode(2) }
    }
}

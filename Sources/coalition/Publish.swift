import ArgumentParser
import CoalitionCore
import CoalitionNode
import CoalitionQuery

struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign and publish one signal.",
        discussion: """
            Kinds and values:
              pdq     64 hex characters (256-bit PDQ hash); --quality 0–100 optional
              md5     32 hex characters
              sha256  64 hex characters
              url     an http(s) URL, canonicalised (lowercase scheme and host, default port and fragment dropped, …)
              trend   a hashtag, keyword or phrase naming a dangerous trend (case and Unicode normalised)
            The category comes from Protocol/taxonomy.json: 'category' or 'category/keyword', \
            for example protection_of_minors/unsafe_challenges.
            TLP amber+strict and red signals are encrypted to the --recipient members (and this node).

            Example:
              coalition publish --kind trend --value '#BlackoutChallenge' \\
                --category protection_of_minors/unsafe_challenges --severity critical --label choking
            """
    )

    @Option(help: "pdq, md5, sha256, url or trend.") var kind: String
    @Option(help: "The hash, URL or trend text.") var value: String
    @Option(help: "Taxonomy category, 'category' or 'category/keyword'.") var category: String
    @Option(help: "low, medium, high or critical.") var severity: String = "medium"
    @Option(help: "clear, green, amber, amber+strict or red.") var tlp: String = "green"
    @Option(name: .customLong("label"), help: "A free label; repeat for several.") var labels: [String] = []
    @Option(help: "When the signal stops being active: RFC 3339 date-time or ms since the epoch.") var expiresAt: String?
    @Option(help: "A short note for other platforms' moderators (at most 1024 bytes).") var note: String?
    @Option(help: "PDQ quality score, 0–100 (pdq only).") var quality: Int?
    @Option(name: .customLong("recipient"), help: "A member ID that may read a restricted signal; repeat for several.") var recipients: [String] = []
    @Flag(help: "Print the published signal as JSON.") var json = false

    @OptionGroup var node: NodeOptions

    func run() async throws {
        let dir = try node.open()
        let input = SignalInput(kind: kind, value: value, category: category, severity: severity, tlp: tlp, labels: labels,
                                expiresAt: expiresAt, note: note, quality: quality, recipients: recipients.isEmpty ? nil : recipients)
        let entry = try Console.reporting { try dir.publish(input) }
        await node.notifyDaemon()
        if json {
            print(Console.json(try Console.reporting { try dir.query().signal(entry.id) }))
        } else {
            print("Published signal \(entry.id.hex) (seq \(entry.seq))")
        }
    }
}

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

            With --file, the image or video is hashed on this machine (PDQ, or vPDQ for a video) and \
            only the hash is published: the file never leaves the machine, and is not stored. Hashes \
            of quality below --min-quality (default 50) are refused: an image with too little detail \
            would match unrelated ones.

            Example:
              coalition publish --file clip.mp4 --category violence --severity high
              coalition publish --kind trend --value '#BlackoutChallenge' \\
                --category protection_of_minors/unsafe_challenges --severity critical --label choking
            """
    )

    @Option(help: "pdq, md5, sha256, url or trend (not with --file).") var kind: String?
    @Option(help: "The hash, URL or trend text (not with --file).") var value: String?
    @Option(help: "An image or video to hash and publish the PDQ or vPDQ hash of, instead of --kind and --value.") var file: String?
    @Option(help: "With --file: the lowest PDQ quality accepted (0–100, default 50).") var minQuality: Int = 50
    @OptionGroup var media: MediaOptions
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

    func validate() throws {
        if file == nil, kind == nil || value == nil { throw ValidationError("give --kind and --value, or --file") }
        if file != nil, kind != nil || value != nil { throw ValidationError("--file replaces --kind and --value: give one or the other") }
        guard (0...100).contains(minQuality) else { throw ValidationError("--min-quality must be 0–100") }
    }

    func run() async throws {
        let dir = try node.open()
        var kind = self.kind ?? "", value = self.value ?? "", quality = self.quality
        if let file {
            let hashes = try Console.reporting { try media.hash(file, with: media.hasher()) }
            let hash = hashes.hashes[0]
            if let q = hash.quality, q < minQuality {
                try Console.reporting { throw CoalitionError(.invalidField, "the image's PDQ quality is \(q), under --min-quality \(minQuality): it has too little detail to match reliably", field: "file") }
            }
            (kind, value, quality) = (hash.kind, hash.value, hash.quality ?? quality)
        }
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

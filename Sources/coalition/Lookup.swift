import ArgumentParser
import CoalitionCore
import CoalitionMedia
import CoalitionNode
import CoalitionQuery
import Foundation

struct Lookup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask this node whether a hash, URL or other value matches a known signal.",
        discussion: """
            The same matching as the API's /v1/lookup: PDQ within a Hamming distance (default 31), URLs after \
            canonicalisation, md5 and sha256 exactly. Retracted and expired signals are left out unless \
            --include-inactive. Exit status: 0 when something matched, 1 when nothing did.
            """
    )

    @Argument(help: "The kind: pdq, md5, sha256, url, trend, … (not with --file)") var kind: String?
    @Argument(help: "The value to look up.") var value: String?
    @Option(help: "An image or video to hash here and look up (PDQ or vPDQ, md5, sha256); the file is not stored.") var file: String?
    @OptionGroup var media: MediaOptions
    @Option(help: "PDQ: the largest Hamming distance (0–64, default 31).") var distance: Int?
    @Option(help: "PDQ: the smallest quality score of a stored hash (0–100).") var minQuality: Int?
    @Flag(help: "Include retracted and expired signals.") var includeInactive = false
    @Flag(help: "Print the JSON answer.") var json = false
    @OptionGroup var node: NodeOptions

    func validate() throws {
        if file == nil, kind == nil || value == nil { throw ValidationError("give a kind and a value, or --file") }
        if file != nil, kind != nil { throw ValidationError("--file replaces the kind and value: give one or the other") }
    }

    func run() throws {
        let dir = try node.open()
        let results = try Console.reporting { () throws -> [LookupResult] in
            let query = dir.query()
            let options = try query.options(distance: distance, minQuality: minQuality, includeInactive: includeInactive)
            guard let file else { return [try query.lookup(LookupItem(kind: kind ?? "", value: value ?? ""), options)] }
            // A video upload is hashed at every frame unless told otherwise (see VPDQHash.MatchRule).
            var hasher = media.hasher()
            if media.secondsPerFrame == 1 { hasher.secondsPerFrame = 0 }
            return try query.lookup(media: try media.hash(file, with: hasher), options)
        }
        if json {
            print(Console.json(file == nil ? AnyEncodable(results[0]) : AnyEncodable(results)))
        } else {
            for result in results {
                if result.matches.isEmpty { print("no match for \(result.kind) \(List.clip(result.canonical, 80))") }
                for m in result.matches {
                    let s = m.signal
                    let d = m.distance.map { "  distance \($0)" } ?? ""
                    print("\(s.id.prefix(12))  \(s.kind) \(List.clip(s.value, 48))\(d)  \(s.category)  \(s.severity)  verdict \(s.verdict)  by \(s.authorName) \(s.publishedAt)  [\(s.sources.count) source\(s.sources.count == 1 ? "" : "s")]")
                }
            }
        }
        if results.allSatisfy({ $0.matches.isEmpty }) { throw ExitCode(1) }
    }
}

/// One of two encodable shapes, for `--json`.
struct AnyEncodable: Encodable {
    let encode: (Encoder) throws -> Void
    init(_ value: some Encodable) { encode = value.encode }
    func encode(to encoder: Encoder) throws { try encode(encoder) }
}

struct MatchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match-text",
        abstract: "Find the dangerous trends this node knows in a caption, comment or hashtag list.",
        discussion: """
            The same matching as the API's /v1/match/text: case and diacritics fold, matches cover whole words, \
            a hashtag trend also matches the bare word, and a phrase also matches its words run together as a \
            hashtag. Reads the text from the argument, or from standard input with '-'. Exit status: 0 when a \
            trend matched, 1 when none did.
            """
    )

    @Argument(help: "The text, or - for standard input.") var text: String
    @Flag(help: "Include retracted and expired trends.") var includeInactive = false
    @Flag(help: "Print the JSON answer.") var json = false
    @OptionGroup var node: NodeOptions

    func run() throws {
        let dir = try node.open()
        let input = text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : text
        let matches = try Console.reporting { try dir.query().matchText(input, includeInactive: includeInactive) }
        if json {
            print(Console.json(matches))
        } else if matches.isEmpty {
            print("no trend matched")
        } else {
            for m in matches {
                print("\(m.signal.id.prefix(12))  \(m.signal.value)  (matched \"\(m.matched)\")  \(m.signal.category)  \(m.signal.severity)  verdict \(m.signal.verdict)")
            }
        }
        if matches.isEmpty { throw ExitCode(1) }
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionIngest
import CoalitionStore
import Foundation

/// The JSONL export of signed entries (`Protocol/SPEC.md` §9): one object per line, with the
/// complete canonical entry in base64 and a few decoded fields for convenience. Anyone can
/// verify an export with the spec alone: decode `entry`, check the Ed25519 signature over the
/// domain prefix and the signed bytes, and hash the entry to get `id`.
public struct ExportedEntry: Codable, Sendable, Equatable {
    /// Lowercase hex entry ID.
    public var id: String
    /// Author member ID.
    public var author: String
    /// Author sequence number.
    public var seq: UInt64
    /// Body type name (`publish`, `retract`, `opinion`, `key-rotation`, `sealed`, or `type-N`).
    public var type: String
    /// The complete canonical entry, standard base64.
    public var entry: String

    public init(_ e: Entry) {
        id = e.id.hex
        author = MemberID(publicKey: e.author).description
        seq = e.seq
        type = Self.typeName(e.bodyType)
        entry = Data(e.bytes).base64EncodedString()
    }

    static func typeName(_ t: UInt16) -> String {
        switch t {
        case BodyType.publish: "publish"
        case BodyType.retract: "retract"
        case BodyType.opinion: "opinion"
        case BodyType.keyRotation: "key-rotation"
        case BodyType.sealed: "sealed"
        default: "type-\(t)"
        }
    }

    /// One JSONL line (no trailing newline), keys sorted.
    public func jsonLine() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! enc.encode(self), as: UTF8.self)
    }

    /// Parses a JSONL line back to the entry, checking that `id` and the other stated fields match.
    /// - Throws: `malformedEntry` naming what is wrong.
    public static func decodeEntry(_ line: Substring) throws(CoalitionError) -> Entry {
        let obj = try parseLine(line)
        // Canonical only: the same bytes re-encode to the same text (no stray padding bits).
        guard let bytes = Data(base64Encoded: obj.entry), bytes.base64EncodedString() == obj.entry else {
            throw CoalitionError(.malformedEntry, "is not canonical standard base64", field: "entry")
        }
        let b = [UInt8](bytes)
        let e = try Entry(decoding: b)
        guard e.id.hex == obj.id.lowercased() else {
            throw CoalitionError(.malformedEntry, "the entry hashes to \(e.id.hex), not the stated id", field: "id")
        }
        // The convenience fields must agree with the bytes, so a tampered export cannot mislead a reader.
        guard (try? MemberID(parsing: obj.author)) == MemberID(publicKey: e.author) else {
            throw CoalitionError(.malformedEntry, "the stated author does not match the entry", field: "author")
        }
        guard obj.author == MemberID(publicKey: e.author).description else {
            throw CoalitionError(.malformedEntry, "the stated author is not spelled canonically (upper case, with dashes)", field: "author")
        }
        guard obj.seq == e.seq else { throw CoalitionError(.malformedEntry, "the stated seq does not match the entry", field: "seq") }
        guard obj.type == typeName(e.bodyType) else {
            throw CoalitionError(.malformedEntry, "the stated type does not match the entry", field: "type")
        }
        return e
    }

    /// The line's object (SPEC §9 step 2): a JSON object with all five keys, each of its JSON
    /// type, `seq` an integer literal (no fraction or exponent) within 64 bits. Each failure
    /// names the key at fault; other keys are ignored.
    static func parseLine(_ line: Substring) throws(CoalitionError) -> ExportedEntry {
        let data = Data(line.utf8)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw CoalitionError(.malformedEntry, "the line is not one JSON object (truncated line?)")
        }
        for key in ["author", "entry", "id", "seq", "type"] where object[key] == nil {
            throw CoalitionError(.malformedEntry, "missing key '\(key)' (an export line has author, entry, id, seq and type)", field: key)
        }
        for key in ["author", "entry", "id", "type"] where !(object[key] is String) {
            throw CoalitionError(.malformedEntry, "'\(key)' must be a JSON string", field: key)
        }
        guard Self.seqIsIntegerLiteral(line), let obj = try? JSONDecoder().decode(ExportedEntry.self, from: data) else {
            throw CoalitionError(.malformedEntry, "'seq' must be an integer from 1 to 2^64-1, written without fraction or exponent", field: "seq")
        }
        return obj
    }

    /// Whether every `"seq"` member of the line is followed by a plain decimal integer. JSON
    /// parsers read `1.0` and `1e0` as 1; the spec's readers must not.
    static func seqIsIntegerLiteral(_ line: Substring) -> Bool {
        var rest = line[...]
        var found = false
        while let key = rest.range(of: "\"seq\"") {
            rest = rest[key.upperBound...]
            let afterColon = rest.drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
            guard afterColon.first == ":" else { continue }
            let value = afterColon.dropFirst().drop { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
            let digits = value.prefix { $0.isASCII && $0.isNumber }
            guard let next = value.dropFirst(digits.count).first, !digits.isEmpty else { return false }
            guard next == "," || next == "}" || next == " " || next == "\t" || next == "\r" || next == "\n" else { return false }
            found = true
        }
        return found
    }
}

/// Streams every stored entry as JSONL, in local arrival order (predecessors first).
public struct EntryExporter: Sendable {
    let store: EntryStore
    public init(store: EntryStore) { self.store = store }

    /// Writes every entry to `write`, one line each. Returns the number written.
    public func export(_ write: (String) throws -> Void) throws -> Int {
        var cursor: Int64 = 0
        var n = 0
        while true {
            let page = try store.entries(after: cursor, limit: 5_000)
            guard let last = page.last else { return n }
            for (_, bytes) in page {
                try write(ExportedEntry(try Entry(decoding: bytes)).jsonLine())
                n += 1
            }
            cursor = last.0
        }
    }
}

/// Ingests an export (signed entries from any member) after full verification.
public struct EntryImporter: Sendable {
    let node: NodeDirectory
    public init(node: NodeDirectory) { self.node = node }

    /// Verifies and stores every line; problems are reported with their line numbers.
    ///
    /// The lines go through the node's ``Ingestor`` (its ``IngestPipeline``): each batch is
    /// parsed and verified on all cores while the previous one commits, and into an empty store
    /// (a node restored from another's export) they are loaded in bulk once there are
    /// ``IngestPipeline/bulkThreshold`` of them.
    public func run(data: Data) throws -> SignalImporter.Report {
        var report = SignalImporter.Report()
        // Where each line lies in `data` (16 bytes a line, not a copy of it): they are parsed
        // inside the pipeline, batch by batch.
        var lines: [Range<Int>] = []
        var lineNumbers: [Int] = []
        for (i, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard raw.contains(where: { !Self.isSpace($0) }) else { continue }
            report.lines += 1
            lines.append(raw.startIndex..<raw.endIndex)
            lineNumbers.append(i + 1)
        }
        let outcome = try node.ingestor.run(local: lines) { range throws(CoalitionError) in
            // Step 1 of §9 trims ASCII white space only (what JSON allows between tokens).
            let line = Substring(decoding: data[range], as: UTF8.self).trimmingCharacters(in: Self.asciiWhiteSpace)
            return try ExportedEntry.decodeEntry(Substring(line))
        }
        // Every line ends in exactly one outcome: stored, already stored, pending, refused by
        // policy or rejected. A line held as pending and released by a later line is stored.
        report.bulkLoaded = outcome.bulkEntries
        var settled = Set<Int>()
        for rejection in outcome.report.rejected {
            let issue = SignalImporter.Report.LineIssue(line: lineNumbers[rejection.index], reason: rejection.message, code: rejection.code.rawValue)
            if rejection.code == .forbidden { report.refused.append(issue) } else { report.rejected.append(issue) }
            settled.insert(rejection.index)
        }
        for index in outcome.report.duplicateIndexes where settled.insert(index).inserted {
            report.skipped.append(.init(line: lineNumbers[index], reason: "already stored"))
        }
        for (index, ref) in zip(outcome.report.pendingIndexes, outcome.report.pendingEntries) {
            guard try node.store.entries(of: ref.author, from: ref.seq, to: ref.seq, limit: 1).isEmpty, settled.insert(index).inserted else { continue }
            report.pending.append(.init(line: lineNumbers[index], reason: "waiting for seq \(ref.seq - 1) of \(MemberID(publicKey: ref.author).short), which is not stored",
                                        code: "pending"))
        }
        report.published = lines.count - settled.count
        for list in [\SignalImporter.Report.rejected, \.refused, \.skipped, \.pending] {
            report[keyPath: list].sort { $0.line < $1.line }
        }
        return report
    }

    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
    /// JSON's white space (SPEC §9 step 1): space, tab, CR and LF.
    private static let asciiWhiteSpace = CharacterSet(charactersIn: " \t\r\n")
}

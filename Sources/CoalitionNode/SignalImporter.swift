import CoalitionCore
import CoalitionCrypto
import CoalitionIngest
import CoalitionQuery
import CoalitionStore
import Foundation
import Logging

/// Bulk publishing from a CSV or JSONL file of signals, signed by this node.
///
/// Every line is validated on its own; bad lines are reported by number and reason and never
/// stored, good lines are published in atomic chunks. A line whose (kind, value) this node has
/// already published and not retracted is skipped, so re-running an import is harmless.
public struct SignalImporter: Sendable {
    /// The file formats accepted.
    public enum Format: String, Sendable, CaseIterable {
        /// A header line naming the columns, then one signal per line.
        case csv
        /// One JSON object per line.
        case jsonl

        /// Guesses from the file extension (`.csv`, else JSONL).
        public static func guess(path: String) -> Format {
            path.lowercased().hasSuffix(".csv") ? .csv : .jsonl
        }
    }

    /// The outcome of an import.
    public struct Report: Sendable, Equatable {
        /// A line that was not imported.
        public struct LineIssue: Sendable, Equatable, CustomStringConvertible {
            public let line: Int
            public let reason: String
            /// The spec's error code (SPEC §7.1), for lines of an export that were refused.
            public var code: String? = nil
            public init(line: Int, reason: String, code: String? = nil) {
                self.line = line
                self.reason = reason
                self.code = code
            }
            public var description: String { "line \(line): \(code.map { "[\($0)] " } ?? "")\(reason)" }
        }
        /// Non-empty, non-comment data lines read.
        public var lines = 0
        /// Signals published.
        public var published = 0
        /// Lines skipped because the signal is already published by this node.
        public var skipped: [LineIssue] = []
        /// Lines rejected, with the reason.
        public var rejected: [LineIssue] = []
        /// Lines of an export held as pending: their author's previous entry is not stored (yet).
        public var pending: [LineIssue] = []
        /// Lines of an export refused by this node's policy (the author is not a member).
        public var refused: [LineIssue] = []
        /// Entries stored through a bulk load: an export of signed entries restored into an
        /// empty store, whose randomly keyed indexes were then built once.
        public var bulkLoaded = 0
    }

    /// Columns a CSV header may name.
    public static let csvColumns = ["kind", "value", "category", "severity", "tlp", "labels", "expires_at", "note", "quality", "recipients"]

    let node: NodeDirectory
    let logger: Logger
    /// Signals published per transaction.
    public var chunkSize = 1_000

    public init(node: NodeDirectory, logger: Logger = Logger(label: "coalition.import")) {
        self.node = node
        self.logger = logger
    }

    /// Imports a file.
    /// - Parameter progress: called with (lines processed, total lines) as the import advances.
    /// - Throws: `CoalitionError` when the file cannot be read or its CSV header is unusable;
    ///   per-line problems are reported, not thrown.
    public func run(path: String, format: Format? = nil, now: Int64 = .nowMillis,
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoalitionError(.notFound, "cannot read \(path)")
        }
        return try run(data: data, format: format ?? .guess(path: path), now: now, progress: progress)
    }

    /// Imports file contents.
    public func run(data: Data, format: Format, now: Int64 = .nowMillis, progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        var report = Report()
        let rawLines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var header: [String]?
        var pending: [(line: Int, draft: EntryStore.Draft)] = []
        var seen = Set<IndicatorKey>()
        let me = node.signer.publicKey

        for (i, raw) in rawLines.enumerated() {
            let lineNo = i + 1
            var bytes = Substring(decoding: raw, as: UTF8.self)
            if bytes.hasSuffix("\r") { bytes = bytes.dropLast() }
            if bytes.trimmingCharacters(in: .whitespaces).isEmpty || bytes.hasPrefix("#") { continue }
            guard String(validating: raw, as: UTF8.self) != nil else {
                report.lines += 1
                report.rejected.append(.init(line: lineNo, reason: "not valid UTF-8"))
                continue
            }
            if format == .csv && header == nil {
                header = try Self.parseHeader(bytes, line: lineNo)
                continue
            }
            report.lines += 1
            do {
                let input = try format == .csv ? Self.csvInput(bytes, header: header!) : Self.jsonInput(bytes)
                let draft = try input.draft()
                let signal = Self.signal(of: draft)
                guard !seen.contains(signal.indicator),
                      try !node.store.signals(kind: signal.kind, value: signal.value).contains(where: { $0.author == me && $0.isActive(now: now) })
                else {
                    report.skipped.append(.init(line: lineNo, reason: "already published: \(signal.kind) \(signal.value.prefix(60))"))
                    continue
                }
                seen.insert(signal.indicator)
                pending.append((lineNo, draft))
            } catch let e as CoalitionError {
                report.rejected.append(.init(line: lineNo, reason: e.description))
            }
            if pending.count >= chunkSize {
                report.published += try publish(&pending, now: now)
                progress(i + 1, rawLines.count)
            }
        }
        report.published += try publish(&pending, now: now)
        progress(rawLines.count, rawLines.count)
        logger.info("import finished", metadata: [
            "import.lines": "\(report.lines)", "import.published": "\(report.published)",
            "import.skipped": "\(report.skipped.count)", "import.rejected": "\(report.rejected.count)",
        ])
        return report
    }

    private func publish(_ pending: inout [(line: Int, draft: EntryStore.Draft)], now: Int64) throws -> Int {
        guard !pending.isEmpty else { return 0 }
        let n = try node.ingestor.append(pending.map(\.draft), by: node.signer, now: now).count
        pending.removeAll(keepingCapacity: true)
        return n
    }

    static func signal(of draft: EntryStore.Draft) -> Signal {
        switch draft {
        case .plain(.publish(let s)), .sealed(.publish(let s), _): return s
        default: preconditionFailure("imports only publish signals")
        }
    }

    package static func parseHeader(_ line: Substring, line lineNo: Int) throws(CoalitionError) -> [String] {
        guard let cols = CSVLine.split(line)?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else {
            throw CoalitionError(.invalidField, "line \(lineNo): the CSV header has an unterminated quote")
        }
        let normalized = cols.map { $0 == "expiresat" ? "expires_at" : $0 }
        for required in ["kind", "value", "category"] where !normalized.contains(required) {
            throw CoalitionError(.invalidField, "line \(lineNo): the CSV header must name the columns kind, value and category (got: \(cols.joined(separator: ",")))")
        }
        if let unknown = normalized.first(where: { !csvColumns.contains($0) }) {
            throw CoalitionError(.invalidField, "line \(lineNo): unknown CSV column '\(unknown)'; known columns: \(csvColumns.joined(separator: ", "))")
        }
        return normalized
    }

    package static func csvInput(_ line: Substring, header: [String]) throws(CoalitionError) -> SignalInput {
        guard let fields = CSVLine.split(line) else {
            throw CoalitionError(.invalidField, "a quoted field is not closed (truncated line?)")
        }
        guard fields.count == header.count else {
            throw CoalitionError(.invalidField, "has \(fields.count) fields but the header has \(header.count)\(fields.count < header.count ? " (truncated line?)" : "")")
        }
        var map: [String: String] = [:]
        for (k, v) in zip(header, fields) { map[k] = v.trimmingCharacters(in: .whitespaces) }
        func opt(_ k: String) -> String? { map[k].flatMap { $0.isEmpty ? nil : $0 } }
        var quality: Int?
        if let q = opt("quality") {
            guard let n = Int(q) else { throw CoalitionError(.invalidField, "'\(q)' is not a number", field: "quality") }
            quality = n
        }
        return SignalInput(kind: map["kind"] ?? "", value: map["value"] ?? "", category: map["category"] ?? "",
                           severity: opt("severity"), tlp: opt("tlp"), labels: opt("labels").map(SignalInput.splitList),
                           expiresAt: opt("expires_at"), note: opt("note"), quality: quality,
                           recipients: opt("recipients").map(SignalInput.splitList))
    }

    package static func jsonInput(_ line: Substring) throws(CoalitionError) -> SignalInput {
        do {
            return try JSONDecoder().decode(SignalInput.self, from: Data(line.utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw CoalitionError(.invalidField, "is required", field: key.stringValue)
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw CoalitionError(.invalidField, "has the wrong type", field: ctx.codingPath.last?.stringValue ?? "line")
        } catch {
            throw CoalitionError(.invalidField, "is not a JSON object (truncated line?)")
        }
    }
}

import CoalitionActions
import CoalitionCore
import CoalitionStore
import Foundation

/// Reads a file of content-bank items for `coalition content import`: CSV with the header
/// `contentId,kind,value`, or JSON Lines of `{"contentId": …, "kind": …, "value": …}`, chosen by
/// the first line. Items are registered in batches; a bad line is reported with its number
/// and skipped, and the rest still go in.
public struct ContentImporter {
    public struct Report: Sendable {
        public var lines = 0
        public var registered = 0
        public var alreadyRegistered = 0
        /// `line N: why`, for every line refused.
        public var errors: [String] = []
    }

    let bank: ContentBank
    let batchSize: Int

    public init(bank: ContentBank, batchSize: Int = 10_000) {
        self.bank = bank
        self.batchSize = batchSize
    }

    /// - Throws: `CoalitionError(.notFound)` when the file cannot be read,
    ///   `CoalitionError(.invalidField)` when its first line is neither a CSV header nor JSON.
    public func importFile(_ path: String) throws -> Report {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoalitionError(.notFound, "cannot read \(path)")
        }
        return try importText(String(decoding: data, as: UTF8.self), name: path)
    }

    public func importText(_ text: String, name: String) throws -> Report {
        var report = Report()
        var batch: [(line: Int, item: ContentItem)] = []
        var csv: Bool?
        var columns: [String: Int] = [:]
        func flush() throws {
            guard !batch.isEmpty else { return }
            do {
                let n = try bank.register(batch.map(\.item))
                report.registered += n
                report.alreadyRegistered += batch.count - n
            } catch let e as CoalitionError where e.code == .invalidField {
                // Canonicalisation failed for one item: register the rest one by one, naming the bad lines.
                for (line, item) in batch {
                    do {
                        let n = try bank.register([item])
                        report.registered += n
                        report.alreadyRegistered += 1 - n
                    } catch let e as CoalitionError {
                        report.errors.append("line \(line): \(e.message.replacingOccurrences(of: "item 0: ", with: ""))")
                    }
                }
            }
            batch.removeAll(keepingCapacity: true)
        }
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.allSatisfy(\.isWhitespace) { continue }
            if csv == nil {
                if line.first == "{" {
                    csv = false
                } else {
                    let header = (CSVLine.split(line) ?? []).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                    for (i, h) in header.enumerated() { columns[h.lowercased()] = i }
                    guard columns["contentid"] != nil, columns["kind"] != nil, columns["value"] != nil else {
                        throw CoalitionError(.invalidField, "\(name): line 1 must be the CSV header contentId,kind,value (or the file JSON Lines)", field: "file")
                    }
                    csv = true
                    continue
                }
            }
            report.lines += 1
            let item: ContentItem
            if csv == true {
                guard let f = CSVLine.split(line), let c = columns["contentid"], let k = columns["kind"], let v = columns["value"],
                      f.count > max(c, k, v) else {
                    report.errors.append("line \(number): expected \(columns.count) CSV fields (a quote left open, or fields missing)")
                    continue
                }
                item = ContentItem(contentId: f[c], kind: f[k].trimmingCharacters(in: .whitespaces), value: f[v].trimmingCharacters(in: .whitespaces))
            } else {
                do {
                    item = try JSONDecoder().decode(ContentItem.self, from: Data(line.utf8))
                } catch {
                    report.errors.append("line \(number): not a JSON object with string fields contentId, kind and value")
                    continue
                }
            }
            batch.append((number, item))
            if batch.count >= batchSize { try flush() }
        }
        try flush()
        return report
    }
}

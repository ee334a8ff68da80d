import Foundation
import Testing

/// Rules about the sources that the compiler does not check.
@Suite struct SourceRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every Swift file under `Sources`, with its lines.
    static func sources() throws -> [(path: String, lines: [Substring])] {
        let base = root.appendingPathComponent("Sources").path
        let files = try #require(FileManager.default.enumerator(atPath: base)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 50, "Sources not found at \(base)")
        return try files.sorted().map { ($0, try String(contentsOfFile: base + "/" + $0, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)) }
    }

    @Test("no .wait() anywhere in Sources: futures are awaited, and blocking waits go through BlockingWait")
    func noWaitOutsideBlockingWait() throws {
        var offenders: [String] = []
        for (path, lines) in try Self.sources() where !path.hasSuffix("BlockingWait.swift") {
            for (i, line) in lines.enumerated() {
                let code = line.trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("//") { continue }
                if code.contains(".wait()") || code.contains("syncShutdownGracefully()") { offenders.append("\(path):\(i + 1): \(code)") }
            }
        }
        #expect(offenders.isEmpty, "blocking waits outside BlockingWait:\n\(offenders.joined(separator: "\n"))")
    }
}

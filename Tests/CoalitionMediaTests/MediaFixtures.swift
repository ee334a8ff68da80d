import Foundation
import Testing

/// The shared media fixtures (`../shared/fixtures/media` beside the checkout, or
/// `$COALITION_MEDIA_FIXTURES`) and the reference hashes of them, computed by the PyPI reference
/// packages (`Tests/MediaReference/media_reference.py`) in the same run.
enum MediaFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var root: String {
        if let env = ProcessInfo.processInfo.environment["COALITION_MEDIA_FIXTURES"] { return env }
        return repository.deletingLastPathComponent().appendingPathComponent("shared/fixtures/media").path
    }

    static func file(_ relative: String) throws -> [UInt8] {
        let path = root + "/" + relative
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FixtureError("the media fixture \(path) is missing: the tests read ../shared/fixtures/media beside the checkout (or $COALITION_MEDIA_FIXTURES)")
        }
        return [UInt8](data)
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// One JSON object per line from the reference script.
    static func reference(_ mode: String) throws -> [[String: Any]] {
        guard FileManager.default.fileExists(atPath: root) else {
            throw FixtureError("no media fixtures at \(root): the tests read ../shared/fixtures/media beside the checkout (or $COALITION_MEDIA_FIXTURES)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repository.appendingPathComponent("Tests/MediaReference/media_reference.py").path, mode, root]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError("the reference script failed (run Deploy/setup.sh for pdqhash, vpdq, Pillow): \(String(decoding: errors, as: UTF8.self))")
        }
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }
}

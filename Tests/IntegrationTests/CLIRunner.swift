import Foundation

/// Runs the real `coalition` binary built alongside the tests.
struct CLIRunner {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The built `coalition` executable: `$COALITION_BIN`, else next to the test bundle.
    static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["COALITION_BIN"] { return env }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("coalition").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/coalition").path
    }()

    let dataDir: String

    init() {
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-cli-\(UUID().uuidString)").path
    }

    /// Runs `coalition <args> --data-dir <dataDir>` and waits (at most `timeout` seconds).
    @discardableResult
    func run(_ args: [String], dataDir: String? = nil, addDataDir: Bool = true, timeout: TimeInterval = 120) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.binary)
        p.arguments = args + (addDataDir ? ["--data-dir", dataDir ?? self.dataDir] : [])
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Drain both pipes while the process runs so a full pipe never blocks it.
        nonisolated(unsafe) var outData = Data(), errData = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        group.wait()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: dataDir) }
}

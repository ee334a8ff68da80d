import ArgumentParser
import CoalitionCore
import CoalitionNode
import Foundation
import Logging

/// Options every subcommand that opens a node takes.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's data directory.", discussion: "Default: $COALITION_DATA_DIR, else ~/.coalition.", valueName: "dir"))
    var dataDir: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error or critical (default: warning; info for run).")
    var logLevel: Logger.Level?

    var path: String { dataDir ?? NodeDirectory.defaultPath }

    func logger(default level: Logger.Level = .warning, json: Bool = false) -> Logger {
        Console.bootstrapLogging(level: logLevel ?? level, json: json)
        return Logger(label: "coalition")
    }

    /// The running node's admin socket.
    var adminSocket: String { path + "/" + AdminSocketService.fileName }

    /// Tells a running node that new local entries are in the store, so it pushes them at once
    /// (it would otherwise notice within a second). Silent when no node runs.
    func notifyDaemon() async {
        _ = try? await AdminClient.send("poke", to: adminSocket, timeout: .seconds(2))
    }

    func open() throws -> NodeDirectory {
        try Console.reporting { try NodeDirectory.open(at: path, logger: logger()) }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Terminal helpers shared by subcommands.
enum Console {
    nonisolated(unsafe) private static var bootstrapped = false

    /// Structured logs to standard error, once per process.
    static func bootstrapLogging(level: Logger.Level, json: Bool = false) {
        guard !bootstrapped else { return }
        bootstrapped = true
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, level: level) }
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }

    /// Runs `body`, turning a `CoalitionError` into a clean message and exit code 1.
    static func reporting<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as CoalitionError {
            printError("error: \(e.description)")
            throw ExitCode(1)
        }
    }

    static func printError(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// A one-line progress bar on standard error, drawn only on a terminal.
    static func progress(_ done: Int, _ total: Int, label: String) {
        guard stderrIsTerminal, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let pct = done * 100 / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(pct)% \(done)/\(total)".utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// Pretty JSON, keys sorted.
    static func json(_ value: some Encodable) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! enc.encode(value), as: UTF8.self)
    }
}

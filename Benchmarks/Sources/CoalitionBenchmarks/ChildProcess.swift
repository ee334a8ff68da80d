import Foundation

/// A benchmark step that could not run (a missing tool, a failed child process).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The value of `--name VALUE` on the command line, if given.
func stringArgument(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

/// Runs `arguments` with `executable` (by default this benchmark binary itself) and waits for it.
/// Its standard error passes through; its standard output passes through too, or is returned when
/// `capture` is set. A non-zero exit status is an error.
@discardableResult
func runChild(_ arguments: [String], executable: String = CommandLine.arguments[0], capture: Bool = false) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    let pipe = Pipe()
    if capture { p.standardOutput = pipe }
    try p.run()
    let output = capture ? pipe.fileHandleForReading.readDataToEndOfFile() : Data()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
        throw BenchError("\((([executable] + arguments).joined(separator: " "))) exited with status \(p.terminationStatus)")
    }
    return String(decoding: output, as: UTF8.self)
}

/// The `coalition` binary the node benchmarks start: `$COALITION_BIN`, else the one built beside
/// this benchmark. Exits with a hint when there is none.
func coalitionBinary() -> String {
    let binary = ProcessInfo.processInfo.environment["COALITION_BIN"]
        ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("coalition").path
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        print("error: no coalition binary at \(binary); build it with: swift build -c release --package-path Benchmarks --product coalition")
        exit(2)
    }
    return binary
}

/// Runs `coalition <args>` and returns its standard output (its standard error is dropped).
@discardableResult
func coalitionCLI(_ binary: String, _ args: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw BenchError("coalition \(args.joined(separator: " ")) failed") }
    return String(decoding: data, as: UTF8.self)
}

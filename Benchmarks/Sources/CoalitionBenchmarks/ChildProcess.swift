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

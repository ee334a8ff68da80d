import ArgumentParser
import CoalitionNode
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write every stored signed entry as JSONL.",
        discussion: """
            One JSON object per line: id, author (member ID), seq, type and entry (the complete canonical \
            entry in base64). Anyone can verify it with Protocol/SPEC.md alone (see §9), and another node \
            can ingest it with 'coalition import --signed'. Restricted entries stay encrypted.
            """
    )

    @Option(name: [.short, .long], help: "Write to this file instead of standard output.") var output: String?

    @OptionGroup var node: NodeOptions

    func run() throws {
        let dir = try node.open()
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) , let h = FileHandle(forWritingAtPath: output) else {
                Console.printError("error: cannot write \(output)")
                throw ExitCode(1)
            }
            handle = h
        } else {
            handle = FileHandle.standardOutput
        }
        var buffer = Data()
        let n = try EntryExporter(store: dir.store).export { line in
            buffer.append(contentsOf: line.utf8)
            buffer.append(0x0a)
            if buffer.count > 1 << 20 { handle.write(buffer); buffer.removeAll(keepingCapacity: true) }
        }
        handle.write(buffer)
        if output != nil { try handle.close(); Console.printError("exported \(n) entries to \(output!)") }
    }
}

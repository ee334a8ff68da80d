import CoalitionCrypto
import CoalitionStore
import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// The bootstrap's source node in a process of its own, so that the benchmark can tell the
// receiving node's CPU from the sending node's (in production they are on different machines).

/// A running `coalition-bench serve-store` child: a gossip node serving an existing store.
struct BootstrapSource {
    let process: Process
    let port: Int
    let key: PublicKey
    private let stdin: Pipe

    /// Starts a child serving the store at `path` to the member `peer` (and to nobody else).
    /// - Parameter niceness: when not 0, every thread of the child gets this nice value once it
    ///   is ready: on one machine it stands in for a peer that runs on another.
    static func start(store path: String, peer: PublicKey, niceness: Int32 = 0) throws -> BootstrapSource {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        p.arguments = ["serve-store", path, Hex.encode(peer.bytes)]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        // The child's first line: "READY <port> <public key hex>".
        var line = Data()
        while let byte = try output.fileHandleForReading.read(upToCount: 1), let b = byte.first, b != UInt8(ascii: "\n") {
            line.append(b)
        }
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard fields.count == 3, fields[0] == "READY", let port = Int(fields[1]), let hex = Hex.decode(fields[2]),
              let key = try? PublicKey(bytes: hex) else {
            p.terminate()
            throw BenchError("serve-store child did not start (said \(String(decoding: line, as: UTF8.self)))")
        }
        if niceness != 0 {
            // Linux keeps the nice value per thread: each of the child's threads is set.
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(p.processIdentifier)/task")) ?? []
            for tid in tasks.compactMap({ id_t($0) }) { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, niceness) }
        }
        return BootstrapSource(process: p, port: port, key: key, stdin: input)
    }

    /// User plus system CPU seconds the child has used so far (`/proc/PID/stat`, fields 14 and 15).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return .nan }
        // Fields after the command name start at field 3 (the state).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Closes the child's standard input, which makes it shut its node down, and waits for it.
    func stop() {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// `coalition-bench serve-store PATH PEER-HEX`: the child side. Serves the store over gossip to
/// `PEER` until its standard input closes.
func serveStore() async throws {
    let args = CommandLine.arguments
    guard args.count == 4, let peerBytes = Hex.decode(args[3]) else { throw BenchError("usage: serve-store PATH PEER-HEX") }
    let peer = try PublicKey(bytes: peerBytes)
    let store = EntryStore(database: try AppDatabase.open(path: args[2]), reader: nil)
    let authors = try await store.database.writer.read { db in
        try Data.fetchAll(db, sql: "SELECT key FROM author").map { try PublicKey(bytes: [UInt8]($0)) }
    }
    let key = Signer()
    let port = freePort()
    let service = try gossip(store, key: key, members: authors + [peer], port: port)
    let inputClosed = Flag()
    Thread.detachNewThread {
        _ = FileHandle.standardInput.readDataToEndOfFile()
        inputClosed.raised.store(true, ordering: .relaxed)
    }
    print("READY \(port) \(Hex.encode(key.publicKey.bytes))")
    fflush(nil)
    try await runServices([service]) { inputClosed.raised.load(ordering: .relaxed) }
}

/// A flag raised on one thread and read on others.
final class Flag: Sendable {
    let raised = Atomic<Bool>(false)
}

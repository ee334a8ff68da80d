import CoalitionCore
import CoalitionGossip
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The running node's local control channel: a Unix socket (`admin.sock`, mode 0600) in the
/// data directory. The CLI sends one line (`status`, `reload` or `poke`) and reads one JSON reply;
/// only the node's own user can connect. No secret ever crosses it.
public final class AdminSocketService: Service, Sendable {
    /// The socket's file name inside the data directory.
    public static let fileName = "admin.sock"

    let path: String
    let handler: @Sendable (String) async -> String
    let logger: Logger
    let acceptFailures: NIOLockedValueBox<Int>?

    /// - Parameters:
    ///   - handler: answers one command line with one JSON document.
    ///   - acceptFailures: counts accepts that failed for lack of file descriptors.
    public init(path: String, logger: Logger, acceptFailures: NIOLockedValueBox<Int>? = nil, handler: @escaping @Sendable (String) async -> String) {
        self.path = path
        self.logger = logger
        self.acceptFailures = acceptFailures
        self.handler = handler
    }

    /// Binds the socket and answers commands until graceful shutdown.
    ///
    /// A socket file left by a node that did not stop cleanly (a `kill -9`, an OOM kill, a power
    /// cut) refuses connections: it is replaced. One that answers belongs to a running node.
    /// - Throws: `CoalitionError(.configuration)` when another node answers on the socket.
    public func run() async throws {
        if FileManager.default.fileExists(atPath: path) {
            switch await AdminClient.probe(path) {
            case .answers:
                throw CoalitionError(.configuration, "another node is already running on this data directory (\(path) answers)")
            case .nobody:
                logger.notice("replacing a stale admin socket left by a node that did not stop cleanly", metadata: ["admin.socket": "\(path)"])
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let old = umask(0o177)
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelInitializer { [logger, acceptFailures] channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AcceptOverloadHandler(listener: "admin socket", logger: logger, failures: acceptFailures),
                                                                       position: .first)
                    }
                }
                .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
        } catch {
            umask(old)
            throw CoalitionError(.configuration, "cannot bind the admin socket \(path): \(error)", underlying: error)
        }
        umask(old)
        chmod(path, 0o600)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withGracefulShutdownHandler {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        try? await connection.executeThenClose { inbound, outbound in
            var line = ""
            for try await var chunk in inbound {
                line += chunk.readString(length: chunk.readableBytes) ?? ""
                if line.contains("\n") || line.utf8.count > 1024 { break }
            }
            let command = line.split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            let reply = await handler(command)
            try await outbound.write(ByteBuffer(string: reply + "\n"))
        }
    }
}

/// The CLI's side of ``AdminSocketService``. Every call is `async`: nothing here waits on a
/// future, so it is safe on any executor, SwiftNIO's event loops included.
public enum AdminClient {
    /// What a socket file answers to a connection attempt.
    public enum Probe: Sendable, Equatable {
        /// A node accepted the connection and answered `ping`.
        case answers
        /// Nothing is there: no file, or connection refused (a stale socket).
        case nobody
    }

    /// Whether a node answers on `path`.
    public static func probe(_ path: String) async -> Probe {
        guard let reply = try? await send("ping", to: path, timeout: .seconds(5)) else { return .nobody }
        return reply.isEmpty ? .nobody : .answers
    }

    /// Sends `command` and returns the reply, or nil when no node is running there (no socket,
    /// or nobody listening).
    /// - Throws: `CoalitionError(.configuration)` when a node accepted the connection but did not
    ///   answer within `timeout`, or the connection failed mid-reply.
    public static func send(_ command: String, to path: String, timeout: Duration = .seconds(30)) async throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(2))
                .connect(unixDomainSocketPath: path) { ch in
                    ch.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch) }
                }
        } catch {
            return nil
        }
        let reply: String? = try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: command + "\n"))
                    var text = ""
                    for try await var chunk in inbound { text += chunk.readString(length: chunk.readableBytes) ?? "" }
                    return text
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                // Ends the reader's stream too, so the group can finish.
                channel.channel.close(promise: nil)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
        guard let reply else {
            throw CoalitionError(.configuration, "the node on \(path) accepted the connection but did not answer '\(command)' within \(timeout)")
        }
        return reply.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

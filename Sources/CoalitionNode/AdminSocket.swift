import CoalitionCore
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

    /// - Parameter handler: answers one command line with one JSON document.
    public init(path: String, logger: Logger, handler: @escaping @Sendable (String) async -> String) {
        self.path = path
        self.logger = logger
        self.handler = handler
    }

    public func run() async throws {
        // A socket file left by a node that crashed: nobody answers it, so it can go.
        if FileManager.default.fileExists(atPath: path) {
            if (try? AdminClient.send("ping", to: path)) != nil {
                throw CoalitionError(.configuration, "another node is already running on this data directory (\(path) answers)")
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        let old = umask(0o177)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
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

/// The CLI's side of ``AdminSocketService``.
public enum AdminClient {
    /// Sends `command` and returns the reply, or nil when no node is running there (no socket,
    /// or nobody listening).
    /// - Throws: on a protocol failure with a running node.
    public static func send(_ command: String, to path: String, timeout: TimeAmount = .seconds(30)) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let group = MultiThreadedEventLoopGroup.singleton
        let collector = ReplyCollector(promise: group.next().makePromise())
        let channel: any Channel
        do {
            channel = try ClientBootstrap(group: group)
                .connectTimeout(.seconds(2))
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(collector) } }
                .connect(unixDomainSocketPath: path).wait()
        } catch {
            return nil
        }
        channel.writeAndFlush(ByteBuffer(string: command + "\n"), promise: nil)
        let reply = try collector.promise.futureResult.wait()
        return reply.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private final class ReplyCollector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let promise: EventLoopPromise<String>
        private let buffer = NIOLockedValueBox("")
        init(promise: EventLoopPromise<String>) { self.promise = promise }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = unwrapInboundIn(data)
            let s = b.readString(length: b.readableBytes) ?? ""
            buffer.withLockedValue { $0 += s }
        }
        func channelInactive(context: ChannelHandlerContext) {
            promise.succeed(buffer.withLockedValue { $0 })
        }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.close(promise: nil)
        }
    }
}

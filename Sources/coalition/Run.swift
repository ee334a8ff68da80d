import ArgumentParser
import CoalitionNode
import Logging
import ServiceLifecycle

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node: gossip with peers over mutual TLS until stopped.",
        discussion: """
            Listens on 'listen' (coalition.yaml) for peers, dials every configured peer (reconnecting with \
            exponential backoff and jitter), exchanges heads on connect and every antiEntropySeconds, and \
            pushes every new entry (published here or received) to every connected peer at once.
            Only configured members may connect; a peer is identified by the Ed25519 key in its TLS \
            certificate, never by its address.

            Signals: SIGTERM or SIGINT stops gracefully (pending writes finish, peers get a goodbye and TLS \
            close_notify); SIGHUP re-reads members and peers from coalition.yaml.
            Local control: the admin socket admin.sock in the data directory (used by 'coalition status', \
            'coalition peers' and 'coalition members'). Logs go to standard error.
            """
    )

    enum LogFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Option(help: "Log format: text or json (one object per line).") var logFormat: LogFormat = .text

    @OptionGroup var node: NodeOptions

    func run() async throws {
        NodeDaemon.runTasksOnEventLoops()
        let logger = node.logger(default: .info, json: logFormat == .json)
        let dir = try node.open()
        let daemon = try Console.reporting { try NodeDaemon(directory: dir, logger: logger) }
        logger.info("starting node", metadata: ["node.name": "\(dir.configuration.name)", "member.id": "\(dir.memberID)", "data.dir": "\(dir.path)"])
        let group = ServiceGroup(services: daemon.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        logger.info("node stopped")
    }
}

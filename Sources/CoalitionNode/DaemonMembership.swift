import CoalitionCore
import CoalitionDashboard
import Foundation
import NIOConcurrencyHelpers

/// The dashboard's member changes on a running node: the configuration file is re-read,
/// changed, written (as `coalition members add` does) and applied with a reload, one change at
/// a time.
final class DaemonMembership: DashboardMembership, @unchecked Sendable {
    private let directory: NodeDirectory
    private let current: NIOLockedValueBox<NodeConfiguration>
    private let reload: @Sendable () throws -> String
    private let lock = NIOLock()

    init(directory: NodeDirectory, current: NIOLockedValueBox<NodeConfiguration>, reload: @escaping @Sendable () throws -> String) {
        self.directory = directory
        self.current = current
        self.reload = reload
    }

    func members() -> [DashboardMember] {
        let config = current.withLockedValue { $0 }
        return config.members.map { m in DashboardMember(id: m.id, name: m.name, address: config.peers.first { $0.id == m.id }?.address) }
    }

    func add(id text: String, name: String, address: String?) async throws -> String {
        let id: MemberID
        do { id = try MemberID(parsing: text) } catch { throw CoalitionError(error.code, error.message, field: "id") }
        guard id != directory.memberID else { throw CoalitionError(.invalidField, "\(id.short) is this node's own ID", field: "id") }
        let display = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !display.isEmpty, display.count <= 64 else { throw CoalitionError(.invalidField, "a member needs a name of 1 to 64 characters", field: "name") }
        let peer: HostPort?
        do { peer = try address.map { try HostPort(parsing: $0) } } catch { throw CoalitionError(.invalidField, "\(error)", field: "address") }
        return try change { config in
            if let i = config.members.firstIndex(where: { (try? MemberID(parsing: $0.id)) == id }) {
                config.members[i].name = display
            } else {
                config.members.append(.init(id: id.description, name: display))
            }
            if let peer {
                config.peers.removeAll { (try? MemberID(parsing: $0.id)) == id }
                config.peers.append(.init(id: id.description, address: peer.description))
            }
            return "added member \(id.short) (\(display))" + (peer.map { ", dialled at \($0)" } ?? "")
        }
    }

    func remove(id text: String) async throws -> String {
        let id: MemberID
        do { id = try MemberID(parsing: text) } catch { throw CoalitionError(error.code, error.message, field: "id") }
        return try change { config in
            let before = config.members.count
            config.members.removeAll { (try? MemberID(parsing: $0.id)) == id }
            guard config.members.count < before else { throw CoalitionError(.notFound, "\(id.short) is not a member", field: "id") }
            config.peers.removeAll { (try? MemberID(parsing: $0.id)) == id }
            return "removed member \(id.short); its entries already stored stay"
        }
    }

    private func change(_ edit: (inout NodeConfiguration) throws -> String) throws -> String {
        try lock.withLock {
            let path = directory.path + "/" + NodeDirectory.configFileName
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CoalitionError(.configuration, "cannot read \(path)") }
            var config = try NodeConfiguration.parse(text, path: path)
            let summary = try edit(&config)
            try directory.writeConfiguration(config)
            _ = try reload()
            return summary
        }
    }
}

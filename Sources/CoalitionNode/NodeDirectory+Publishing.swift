import CoalitionAPI
import CoalitionQuery
import CoalitionCore
import CoalitionStore
import Foundation
import NIOPosix

extension NodeDirectory {
    /// Publishes one signal as this platform.
    /// - Throws: `CoalitionError` naming the offending field.
    @discardableResult
    public func publish(_ input: SignalInput) throws -> Entry {
        try ingestor.append([try input.draft()], by: signer)[0]
    }

    /// Retracts one of this platform's own signals.
    /// - Throws: `CoalitionError(.notFound)` for an unknown signal, `.forbidden` for another
    ///   platform's signal or one already retracted.
    @discardableResult
    public func retract(_ id: EntryID, reason: String) throws -> Entry {
        guard let row = try store.signal(id) else { throw CoalitionError(.notFound, "no signal \(id.hex) in this node", field: "id") }
        guard row.author == signer.publicKey else {
            throw CoalitionError(.forbidden, "signal \(id.hex) was published by \(displayName(of: row.author)); only its author can retract it (dispute it instead)")
        }
        guard row.retractedBy == nil else { throw CoalitionError(.forbidden, "signal \(id.hex) is already retracted") }
        return try ingestor.append([.plain(.retract(try Retraction(target: id, reason: reason)))], by: signer)[0]
    }

    /// Records this platform's opinion (`confirm`, `dispute` or `seen`) on any signal.
    @discardableResult
    public func opine(_ id: EntryID, stance: String, note: String?) throws -> Entry {
        guard try store.signal(id) != nil else { throw CoalitionError(.notFound, "no signal \(id.hex) in this node", field: "id") }
        let opinion = try Opinion(target: id, stance: try Opinion.Stance(name: stance), note: note)
        return try ingestor.append([.plain(.opinion(opinion))], by: signer)[0]
    }
}

/// The API's publishing, done by this node on the API's thread pool and pushed to peers at once.
struct NodePublisher: SignalPublisher {
    let directory: NodeDirectory
    let pushed: @Sendable () -> Void

    func publish(_ input: SignalInput) async throws -> EntryID {
        let entry = try await NIOThreadPool.apiWrites.runIfActive { [directory] in try directory.publish(input) }
        pushed()
        return entry.id
    }

    func retract(_ signal: EntryID, reason: String) async throws {
        _ = try await NIOThreadPool.apiWrites.runIfActive { [directory] in try directory.retract(signal, reason: reason) }
        pushed()
    }

    func opine(_ signal: EntryID, stance: String, note: String?) async throws {
        _ = try await NIOThreadPool.apiWrites.runIfActive { [directory] in try directory.opine(signal, stance: stance, note: note) }
        pushed()
    }
}

extension NIOThreadPool {
    /// One thread for the API's writes: SQLite takes one writer at a time anyway, and the
    /// API's read threads stay free for lookups while a publish waits for the write lock.
    static let apiWrites: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
}

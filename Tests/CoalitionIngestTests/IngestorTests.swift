import CoalitionCore
import CoalitionCrypto
@testable import CoalitionIngest
import CoalitionStore
import CoalitionSync
import Foundation
import GRDB
import Logging
import NIOPosix
import Testing

/// The receiving half of a session, against a real SQLite file: merged commits of several
/// frames, and the bulk bootstrap of an empty store.
@Suite struct IngestorTests {
    static let author = try! Signer(seed: [UInt8](repeating: 11, count: 32))

    /// A chain of `count` md5 publishes by ``author``; entry `badAt` (1-based) goes back in time.
    func chain(_ count: Int, badAt: Int? = nil) throws -> [Entry] {
        var out: [Entry] = []
        for n in 1...count {
            let body = Body.publish(try Signal(kind: .md5, value: String(format: "%032x", n), category: "violence"))
            let time = n == badAt ? Int64(0) : Int64(n)
            out.append(try Entry.sign(by: Self.author, seq: UInt64(n), prev: out.last?.id ?? .zero, timestamp: time, body: body))
        }
        return out
    }

    func makeIngestor() throws -> (Ingestor, EntryStore) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-ingestor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = EntryStore(database: try .open(path: dir.appendingPathComponent("node.sqlite").path), reader: nil)
        let accepted: Set<PublicKey> = [Self.author.publicKey]
        let ingestor = Ingestor(store: store, policy: Ingestor.Policy(acceptedAuthors: { accepted }, quotaBurst: 1_000_000),
                                pool: .singleton, logger: Logger(label: "test"))
        return (ingestor, store)
    }

    func frames(_ entries: [Entry], _ ingestor: Ingestor, size: Int) async throws -> [PreparedFrame] {
        var out: [PreparedFrame] = []
        for start in stride(from: 0, to: entries.count, by: size) {
            let frame = entries[start..<min(start + size, entries.count)].map(\.bytes)
            out.append(try await ingestor.prepare(frame, from: Self.author.publicKey))
        }
        return out
    }

    func entryIndexes(_ store: EntryStore) throws -> Set<String> {
        Set(try store.database.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('entry_id', 'entry_author_seq', 'entry_indicator', 'opinion_target')")
        })
    }

    @Test func severalFramesCommitInOneTransaction() async throws {
        let (ingestor, store) = try makeIngestor()
        let entries = try chain(30)
        let outcome = try await ingestor.commit(try await frames(entries, ingestor, size: 10))
        #expect(outcome.violation == nil)
        #expect(outcome.applied == 30)
        #expect(try store.statistics().entries == 30)
        #expect(store.commitCount == 1, "three frames, one transaction")
    }

    @Test func anInvalidFrameInAMergedCommitKeepsTheFramesBeforeIt() async throws {
        let (ingestor, store) = try makeIngestor()
        // Frames of 10: the third frame holds entry 25, whose timestamp goes back.
        let entries = try chain(40, badAt: 25)
        let outcome = try await ingestor.commit(try await frames(entries, ingestor, size: 10))
        let violation = try #require(outcome.violation)
        #expect(violation.description.contains("seq 25"), "\(violation)")
        #expect(outcome.applied == 20, "the two frames before the bad one are stored as if sent alone")
        #expect(try store.statistics().entries == 20)
        #expect(try store.heads().map(\.seq) == [20])
    }

    @Test func aBulkBootstrapBuildsTheIndexesWhenItsSessionEnds() async throws {
        let (ingestor, store) = try makeIngestor()
        await ingestor.beginBootstrap(owner: 1, expecting: Ingestor.bootstrapThreshold - 1)
        #expect(!ingestor.isBootstrapping, "a peer only slightly ahead is synced normally")

        await ingestor.beginBootstrap(owner: 1, expecting: Ingestor.bootstrapThreshold)
        #expect(ingestor.isBootstrapping)
        #expect(try entryIndexes(store) == ["entry_author_seq"], "the randomly keyed indexes are dropped during the load")
        let entries = try chain(50)
        for frame in try await frames(entries, ingestor, size: 10) {
            #expect(try await ingestor.commit([frame]).applied == 10)
        }
        await ingestor.endBootstrap(owner: 2)
        #expect(ingestor.isBootstrapping, "another session's end does not end it")
        await ingestor.endBootstrap(owner: 1)
        #expect(!ingestor.isBootstrapping)
        #expect(try entryIndexes(store) == ["entry_id", "entry_author_seq", "entry_indicator", "opinion_target"])
        #expect(try store.statistics().entries == 50)
        #expect(try store.entry(entries[33].id)?.bytes == entries[33].bytes)
        // A store that holds entries is never bulk-loaded.
        await ingestor.beginBootstrap(owner: 3, expecting: 1_000_000)
        #expect(!ingestor.isBootstrapping)
    }
}

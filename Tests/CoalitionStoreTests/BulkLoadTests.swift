import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import CoalitionTestSupport
import Foundation
import GRDB
import Testing

/// The bulk-load path must reach exactly the state of normal ingest and of the pure replica.
@Suite("Bulk load")
struct BulkLoadTests {
    func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-bulk-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("bulk.sqlite").path
    }

    @Test("random entry sets bulk-loaded in random batches give the replica's digest", arguments: Array(UInt64(200)...UInt64(211)))
    func bulkMatchesReplica(seed: UInt64) throws {
        var run = RandomDelivery(seed: seed)
        let store = EntryStore(database: try .open(path: tempPath()), reader: run.generator.reader)
        let bulk = try store.beginBulkLoad()
        let refused = try run.deliver { try bulk.commit(store.prepare($0)) }
        try bulk.finish()
        #expect(refused == run.set.invalid.count)
        #expect(try store.statistics().entries == run.set.valid.count)
        #expect(try store.stateDigest() == run.expectedDigest)
        // After the load, normal lookups (through the rebuilt indexes) work.
        for e in run.set.valid.prefix(10) { #expect(try store.entry(e.id)?.bytes == e.bytes) }
    }

    @Test("after buildIndexes() later batches still take the bulk path, with the indexes in place")
    func batchesAfterTheIndexBuild() throws {
        var run = RandomDelivery(seed: 212)
        let store = EntryStore(database: try .open(path: tempPath()), reader: run.generator.reader)
        let bulk = try store.beginBulkLoad()
        var batches = 0
        let refused = try run.deliver { entries in
            batches += 1
            if batches == 3 {
                try bulk.buildIndexes()
                let indexes = try store.database.writer.read { db in
                    try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('entry_id', 'entry_author_seq', 'entry_indicator', 'opinion_target')")
                }
                #expect(Set(indexes) == ["entry_id", "entry_author_seq", "entry_indicator", "opinion_target"])
            }
            return try bulk.commit(store.prepare(entries))
        }
        #expect(batches > 3)
        #expect(bulk.isActive, "the load goes on after its indexes are built")
        try bulk.finish()
        #expect(!bulk.isActive)
        #expect(refused == run.set.invalid.count)
        #expect(try store.stateDigest() == run.expectedDigest)
        for e in run.set.valid.suffix(10) { #expect(try store.entry(e.id)?.bytes == e.bytes) }
    }

    @Test("forked opinions at one seq: the bulk load keeps the winner the normal path keeps (the higher entry ID)", arguments: 0..<8)
    func forkedOpinionsPickTheSameWinner(variant: Int) throws {
        let a = try Signer(seed: [UInt8](repeating: UInt8(30 + variant), count: 32))
        let signal = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: 1,
                                    body: .publish(try Signal(kind: .md5, value: String(format: "%032x", variant), category: "violence")))
        let forks = try (0..<3).map { n in
            try Entry.sign(by: a, seq: 2, prev: signal.id, timestamp: 2 + Int64(n),
                           body: .opinion(try Opinion(target: signal.id, stance: [.confirm, .dispute, .seen][n])))
        }
        let normal = EntryStore(database: try .inMemory(), reader: nil)
        let loaded = EntryStore(database: try .open(path: tempPath()), reader: nil)
        let bulk = try loaded.beginBulkLoad()
        for e in [signal] + forks {
            _ = try normal.ingest([e])
            _ = try bulk.commit(loaded.prepare([e]))
        }
        try bulk.finish()
        let winner = forks.map(\.id).max { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        #expect(try normal.opinions(on: signal.id).map(\.entry) == [winner])
        #expect(try loaded.opinions(on: signal.id).map(\.entry) == [winner])
        #expect(try loaded.stateDigest() == normal.stateDigest())
    }

    @Test("a rolled-back atomic batch leaves no trace in the bulk load")
    func atomicRollback() throws {
        let a = try Signer(seed: [UInt8](repeating: 5, count: 32))
        let body = { (n: Int) throws -> Body in .publish(try Signal(kind: .md5, value: String(format: "%032x", n), category: "violence")) }
        let e1 = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: 1, body: try body(1))
        let e2 = try Entry.sign(by: a, seq: 2, prev: e1.id, timestamp: 2, body: .opinion(try Opinion(target: e1.id, stance: .confirm)))
        let bad = try Entry.sign(by: a, seq: 3, prev: e2.id, timestamp: 1, body: try body(3))  // timestamp goes back
        let store = EntryStore(database: try .inMemory(), reader: nil)
        let bulk = try store.beginBulkLoad()
        let report = try bulk.commit(store.prepare([e1, e2, bad]), policy: IngestPolicy(atomic: true))
        #expect(report.rolledBack)
        // The same entries load again (the maps forgot them; the opinion was rolled back with
        // its batch) and no equivocation is invented.
        let again = try bulk.commit(store.prepare([e1, e2]))
        #expect(again.applied == 2 && again.duplicates == 0)
        try bulk.finish()
        #expect(try store.heads().map(\.equivocating) == [false])
        #expect(try store.opinions(on: e1.id).map(\.entry) == [e2.id])
    }

    @Test("a bulk load needs an empty store, and indexes come back after an interrupted load")
    func emptyStoreAndRecovery() throws {
        let path = tempPath()
        let a = try Signer(seed: [UInt8](repeating: 6, count: 32))
        let e1 = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: 1,
                                body: .publish(try Signal(kind: .md5, value: String(repeating: "e", count: 32), category: "violence")))
        do {
            let store = EntryStore(database: try .open(path: path), reader: nil)
            let bulk = try store.beginBulkLoad()
            _ = try bulk.commit(store.prepare([e1]))
            #expect(throws: CoalitionError.self) { _ = try store.beginBulkLoad() }
            // No finish(): the process "dies" here.
        }
        let reopened = try AppDatabase.open(path: path)
        let indexes = try reopened.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('entry_id', 'entry_author_seq', 'entry_indicator', 'opinion_target')")
        }
        #expect(Set(indexes) == ["entry_id", "entry_author_seq", "entry_indicator", "opinion_target"])
        #expect(try EntryStore(database: reopened, reader: nil).entry(e1.id) != nil)
    }

    @Test("another writer during a bulk load ends it: no duplicate rows, and later batches take the normal path")
    func anotherWriterEndsTheLoad() throws {
        let path = tempPath()
        let a = try Signer(seed: [UInt8](repeating: 7, count: 32))
        var chain: [Entry] = []
        for n in 1...7 {
            let body = Body.publish(try Signal(kind: .md5, value: String(format: "%032x", n), category: "violence"))
            chain.append(try Entry.sign(by: a, seq: UInt64(n), prev: chain.last?.id ?? .zero, timestamp: Int64(n), body: body))
        }
        let store = EntryStore(database: try .open(path: path), reader: nil)
        let bulk = try store.beginBulkLoad()
        #expect(try bulk.commit(store.prepare(Array(chain[0..<2]))).applied == 2)
        #expect(bulk.isActive)

        // Another process (the CLI) opens the file and stores two of the entries the load is
        // about to receive: the load's maps do not know them.
        let cli = EntryStore(database: try .open(path: path), reader: nil)
        #expect(try cli.ingest(Array(chain[2..<4])).applied == 2)

        let report = try bulk.commit(store.prepare(Array(chain[2..<6])))
        #expect(report.applied == 2 && report.duplicates == 2)
        #expect(!bulk.isActive)
        let (rows, indexes) = try store.database.writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry") ?? -1,
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('entry_id', 'entry_author_seq', 'entry_indicator', 'opinion_target')"))
        }
        #expect(rows == 6, "no entry is stored twice")
        #expect(Set(indexes) == ["entry_id", "entry_author_seq", "entry_indicator", "opinion_target"])
        // Later batches, and batches after finish(), are stored normally.
        #expect(try bulk.commit(store.prepare([chain[6]])).applied == 1)
        try bulk.finish()
        #expect(try bulk.commit(store.prepare([chain[6]])).duplicates == 1)
        #expect(try store.heads().map(\.seq) == [7])
    }
}

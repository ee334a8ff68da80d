import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import GRDB
import Testing

@Suite("Store")
struct StoreTests {
    let alice = try! Signer(seed: [UInt8](repeating: 1, count: 32))
    let bob = try! Signer(seed: [UInt8](repeating: 2, count: 32))

    func tempPath() -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-store-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("test.sqlite").path
    }

    func md5(_ n: Int) throws -> Body {
        .publish(try Signal(kind: .md5, value: String(format: "%032x", n), category: "violence"))
    }

    @Test("the indicator storage key is the big-endian first 8 bytes of SHA-256(kind ‖ 0 ‖ value), as stored on disk")
    func indicatorStorageKeyIsStable() {
        // Stores written by earlier versions hold these keys in `entry.indicatorKey`.
        let cases: [(SignalKind, String, Int64)] = [
            (.md5, "d41d8cd98f00b204e9800998ecf8427e", 719_021_571_424_443_149),
            (.url, "https://example.com/é?q=1", 3_085_766_809_592_887_022),
            (.trend, "", 7_074_073_126_597_436_577),
        ]
        for (kind, value, expected) in cases {
            #expect(IndicatorKey(kind: kind, value: value).storageKey == expected, "\(kind.name) \(value)")
            let digest = SHA256.hash(Array(kind.name.utf8) + [0] + Array(value.utf8))
            #expect(Int64(bitPattern: digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }) == expected)
        }
    }

    @Test("a new store file has 16 KiB pages and WAL; an older 4 KiB store keeps its pages and checkpoints at the same 32 MiB")
    func pageSizeAndCheckpoint() throws {
        let fresh = try AppDatabase.open(path: tempPath())
        let (pageSize, journal, checkpoint) = try fresh.writer.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_size"), try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint"))
        }
        #expect(pageSize == 16_384)
        #expect(journal == "wal")
        #expect(checkpoint == 2_048)
        // A store created with SQLite's default pages, as before 16 KiB became the default.
        let oldPath = tempPath()
        do {
            let queue = try DatabaseQueue(path: oldPath)
            try queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA page_size = 4096; CREATE TABLE t (x); PRAGMA journal_mode = WAL")
            }
        }
        let old = try AppDatabase.open(path: oldPath)
        let (oldPageSize, oldCheckpoint) = try old.writer.write { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_size"), try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint"))
        }
        #expect(oldPageSize == 4_096)
        #expect(oldCheckpoint == 8_192)
        #expect(try EntryStore(database: old, reader: alice).append([.plain(try md5(1))], by: alice).count == 1)
    }

    @Test("everything reads back after a restart, unknown kinds and body types included")
    func persistsAcrossRestart() throws {
        let path = tempPath()
        var exported: [[UInt8]] = []
        var digest: [UInt8] = []
        var lastCursor: Int64 = 0
        do {
            let store = EntryStore(database: try .open(path: path), reader: alice)
            try store.append([
                .plain(try md5(1)),
                .plain(.publish(try Signal(kind: .other("audio-fp"), value: "af1:0a1b", category: "violence"))),
            ], by: alice)
            // An entry type this version does not know, signed by bob.
            let unknown = try Entry.sign(by: bob, seq: 1, prev: .zero, timestamp: 5, bodyType: 4242, bodyBytes: [9, 9, 9])
            let report = try store.ingest([unknown])
            #expect(report.applied == 1)
            exported = try store.entries().map(\.1)
            digest = try store.stateDigest()
            lastCursor = try store.changes(after: 0).last!.cursor
        }
        let reopened = EntryStore(database: try .open(path: path), reader: alice)
        #expect(try reopened.entries().map(\.1) == exported)
        #expect(try reopened.stateDigest() == digest)
        #expect(try reopened.signals(kind: .other("audio-fp"), value: "af1:0a1b").count == 1)
        let unknownBack = try reopened.entries().map { try Entry(decoding: $0.1) }.first { $0.bodyType == 4242 }
        #expect(unknownBack?.author == bob.publicKey)
        // The change cursor keeps increasing after the restart.
        try reopened.append([.plain(try md5(2))], by: alice)
        #expect(try reopened.changes(after: lastCursor).first!.cursor > lastCursor)
        #expect(try reopened.heads().first { $0.author == alice.publicKey }?.seq == 3)
    }

    @Test("an indicator reads with its opinions the same on a file (own read connections) as in memory, and sees later writes")
    func indicatorReadsMatchAcrossPaths() throws {
        let file = EntryStore(database: try .open(path: tempPath()), reader: nil)
        let memory = EntryStore(database: try .inMemory(), reader: nil)
        let carol = try Signer(seed: [UInt8](repeating: 3, count: 32))
        for store in [file, memory] {
            // The same value published by alice and bob; opinions by bob and carol on alice's;
            // another value by alice, retracted.
            // Fixed times, so that both stores hold the very same entries.
            let a = try store.append([.plain(try md5(7)), .plain(try md5(8))], by: alice, now: 1_000)
            try store.append([.plain(try md5(7)), .plain(.opinion(try Opinion(target: a[0].id, stance: .dispute, note: "not \"it\"")))], by: bob, now: 2_000)
            try store.append([.plain(.opinion(try Opinion(target: a[0].id, stance: .confirm)))], by: carol, now: 3_000)
            try store.append([.plain(.retract(try Retraction(target: a[1].id, reason: "mistake")))], by: alice, now: 4_000)
        }
        let value7 = String(format: "%032x", 7), value8 = String(format: "%032x", 8)
        for value in [value7, value8, String(format: "%032x", 9)] {
            let fromFile = try file.indicator(kind: .md5, value: value)
            let fromMemory = try memory.indicator(kind: .md5, value: value)
            #expect(fromFile.map(\.signal) == fromMemory.map(\.signal))
            #expect(fromFile.map(\.opinions) == fromMemory.map(\.opinions))
            // And the same as the separate reads.
            let separate = try file.signals(kind: .md5, value: value)
            #expect(fromFile.map(\.signal) == separate)
            for (signal, opinions) in fromFile {
                let read = try file.opinions(on: signal.id)
                #expect(opinions == read)
            }
        }
        // Several keys in one read (a lookup batch): the same answers, in the order asked.
        let keys: [(kind: SignalKind, value: String)] = [(.md5, value8), (.md5, String(format: "%032x", 9)), (.md5, value7), (.md5, value8)]
        for store in [file, memory] {
            let batch = try store.indicators(keys)
            #expect(batch.count == keys.count)
            for (key, answer) in zip(keys, batch) {
                let single = try store.indicator(kind: key.kind, value: key.value)
                #expect(answer.map(\.signal) == single.map(\.signal))
                #expect(answer.map(\.opinions) == single.map(\.opinions))
            }
            #expect(batch.map(\.count) == [1, 0, 2, 1])
        }
        #expect(try file.indicators([]).isEmpty)
        let seven = try file.indicator(kind: .md5, value: value7)
        #expect(seven.count == 2)
        // Sorted by ID, as the ORDER BY of the in-memory path sorts them.
        #expect(seven[0].signal.id.bytes.lexicographicallyPrecedes(seven[1].signal.id.bytes))
        let stances: Set<Opinion.Stance> = Set(seven.flatMap(\.opinions).map(\.stance))
        #expect(stances == [.confirm, .dispute])
        #expect(try file.indicator(kind: .md5, value: value8).first?.signal.retractedBy != nil)
        // A write after the reader's connections were opened is seen by the next read.
        let target = seven[0].signal.id
        let before = seven[0].opinions.count
        try file.append([.plain(.opinion(try Opinion(target: target, stance: .seen)))], by: alice)
        let after = try file.indicator(kind: .md5, value: value7).first { $0.signal.id == target }?.opinions.count
        #expect(after == before + 1)
        // Reads from several threads at once each get a connection of their own.
        let results = (0..<8).map { $0 }.parallelMap(chunkSize: 1) { _ in (try? file.indicator(kind: .md5, value: value7).count) ?? -1 }
        #expect(results == Array(repeating: 2, count: 8))
    }

    @Test("an atomic batch with one bad signature stores nothing")
    func atomicBatchRollsBack() throws {
        let store = EntryStore(database: try .inMemory(), reader: nil)
        let e1 = try Entry.sign(by: bob, seq: 1, prev: .zero, timestamp: 1, body: try md5(1))
        let e2 = try Entry.sign(by: bob, seq: 2, prev: e1.id, timestamp: 2, body: try md5(2))
        var bytes = e2.bytes
        bytes[bytes.count - 3] ^= 0xff
        let forged = try Entry(decoding: bytes)
        let report = try store.ingest([e1, forged], policy: IngestPolicy(atomic: true))
        #expect(report.rolledBack)
        #expect(report.rejected.map(\.code) == [.badSignature])
        #expect(try store.statistics().entries == 0)
    }

    @Test("an atomic batch with a broken chain stores nothing, even entries before it")
    func atomicBrokenChain() throws {
        let store = EntryStore(database: try .inMemory(), reader: nil)
        let e1 = try Entry.sign(by: bob, seq: 1, prev: .zero, timestamp: 10, body: try md5(1))
        let backwards = try Entry.sign(by: bob, seq: 2, prev: e1.id, timestamp: 5, body: try md5(2))
        let report = try store.ingest([e1, backwards], policy: IngestPolicy(atomic: true))
        #expect(report.rolledBack)
        #expect(report.rejected.map(\.code) == [.brokenChain])
        #expect(try store.statistics().entries == 0)
        // Best effort keeps the good one.
        let lenient = try store.ingest([e1, backwards])
        #expect(lenient.applied == 1 && lenient.rejected.map(\.code) == [.brokenChain])
    }

    @Test("entries from authors outside the accepted set are refused and counted")
    func policyRefusesUnknownAuthors() throws {
        let store = EntryStore(database: try .inMemory(), reader: nil)
        let e = try Entry.sign(by: bob, seq: 1, prev: .zero, timestamp: 1, body: try md5(1))
        let report = try store.ingest([e], policy: IngestPolicy(acceptedAuthors: [alice.publicKey]))
        #expect(report.rejected.map(\.code) == [.forbidden])
        #expect(try store.statistics().entries == 0)
    }

    @Test("a pending entry survives a restart and is applied when its predecessor arrives")
    func pendingSurvivesRestart() throws {
        let path = tempPath()
        let e1 = try Entry.sign(by: bob, seq: 1, prev: .zero, timestamp: 1, body: try md5(1))
        let e2 = try Entry.sign(by: bob, seq: 2, prev: e1.id, timestamp: 2, body: try md5(2))
        do {
            let store = EntryStore(database: try .open(path: path), reader: nil)
            #expect(try store.ingest([e2]).pending == 1)
            #expect(try store.signals(kind: .md5, value: String(format: "%032x", 2)).isEmpty)
        }
        let store = EntryStore(database: try .open(path: path), reader: nil)
        let report = try store.ingest([e1])
        #expect(report.applied == 2 && report.released == 1)
        #expect(try store.statistics().pending == 0)
        #expect(try store.signals(kind: .md5, value: String(format: "%032x", 2)).count == 1)
    }

    @Test("restricted signals are visible to recipients only; relays keep the chain")
    func restrictedVisibility() throws {
        let carol = try Signer(seed: [UInt8](repeating: 3, count: 32))
        var red = try Signal(kind: .sha256, value: String(repeating: "ab", count: 32), category: "protection_of_minors")
        red.tlp = .red
        let authorStore = EntryStore(database: try .inMemory(), reader: alice)
        let entries = try authorStore.append([.sealed(.publish(red), recipients: [bob.publicKey]), .plain(try md5(7))], by: alice)
        let bobStore = EntryStore(database: try .inMemory(), reader: bob)
        let carolStore = EntryStore(database: try .inMemory(), reader: carol)
        #expect(try bobStore.ingest(entries).applied == 2)
        #expect(try carolStore.ingest(entries).applied == 2)
        #expect(try bobStore.signals(kind: .sha256, value: red.value).first?.restricted == true)
        #expect(try carolStore.signals(kind: .sha256, value: red.value).isEmpty)
        #expect(try carolStore.statistics().unreadable == 1)
        #expect(try carolStore.signals(kind: .md5, value: String(format: "%032x", 7)).count == 1)  // the chain continued
        #expect(try authorStore.stateDigest() == bobStore.stateDigest())
    }

    @Test("two writers appending to one database file never fork the chain")
    func concurrentAppendsStayLinear() async throws {
        let path = tempPath()
        let a = EntryStore(database: try .open(path: path), reader: alice)
        let b = EntryStore(database: try .open(path: path), reader: alice)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in [a, b] {
                group.addTask {
                    for i in 0..<25 { try store.append([.plain(try self.md5(i))], by: self.alice) }
                }
            }
            try await group.waitForAll()
        }
        let heads = try a.heads()
        #expect(heads.count == 1 && heads[0].seq == 50 && !heads[0].equivocating)
    }

    @Test("appending after a key rotation is refused")
    func rotationClosesChain() throws {
        let store = EntryStore(database: try .inMemory(), reader: alice)
        try store.append([.plain(.keyRotation(KeyRotation(from: alice.publicKey, to: bob)))], by: alice)
        #expect(throws: CoalitionError.self) { try store.append([.plain(try md5(1))], by: alice) }
    }
}

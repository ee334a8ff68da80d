import CoalitionCore
import CoalitionCrypto
@testable import CoalitionIngest
import CoalitionStore
import Foundation
import GRDB
import Testing

/// The pipeline must store exactly what batch-by-batch ingest stores, through the bulk path when
/// the store is empty, and cut its input into batches that cover it once, in order.
@Suite("Ingest pipeline")
struct IngestPipelineTests {
    @Test("a plan covers the input once, in order, within the batch limit",
          arguments: [(1, false, 25_000, 2), (3_000, false, 25_000, 2), (9_999, false, 1_000, 2), (10_000, true, 25_000, 2),
                      (200_000, true, 25_000, 2), (200_000, true, 25_000, 1), (1_000_000, true, 25_000, 8), (60_000, false, 25_000, 4),
                      (10_000, true, 300, 2), (12_345, true, 25_000, 16)])
    func planCoversInput(count: Int, bulk: Bool, largest: Int, cores: Int) {
        let plan = IngestPipeline.Plan(count: count, bulk: bulk, largestBatch: largest, cores: cores)
        #expect(plan.batches.first?.lowerBound == 0)
        #expect(plan.batches.last?.upperBound == count)
        for (a, b) in zip(plan.batches, plan.batches.dropFirst()) { #expect(a.upperBound == b.lowerBound) }
        #expect(plan.batches.allSatisfy { !$0.isEmpty && $0.count <= largest })
        if bulk {
            #expect(plan.bulkBatches >= 1 && plan.bulkBatches <= plan.batches.count)
        } else {
            #expect(plan.bulkBatches == 0)
        }
        if cores == 1 {
            // Nothing can be verified while the only core commits: no shrinking tail.
            #expect(plan.bulkBatches == (bulk ? plan.batches.count : 0))
        }
    }

    @Test("on two cores the batch after a bulk load covers the index build, and later batches shrink")
    func bulkPlanShape() {
        let plan = IngestPipeline.Plan(count: 200_000, bulk: true, largestBatch: 25_000, cores: 2)
        let tail = plan.batches[plan.bulkBatches...].map(\.count)
        // 4% of the load for the index build plus 15% of the last bulk batch for its commit.
        #expect(tail.first! > 11_000 && tail.first! < 12_000)
        #expect(zip(tail, tail.dropFirst()).allSatisfy { $0 > $1 })
        #expect(tail.last! >= IngestPipeline.Plan.smallestBatch)
        #expect(plan.batches[..<plan.bulkBatches].allSatisfy { $0.count <= 25_000 && $0.count > 20_000 })
    }

    /// `count` entries from three authors: publishes of every kind, with opinions and retractions.
    static func entries(count: Int) throws -> [Entry] {
        let signers = try (0..<3).map { a in try Signer(seed: [UInt8](repeating: UInt8(40 + a), count: 32)) }
        var chains: [[Entry]] = [[], [], []]
        for i in 0..<count {
            let a = i % 3
            let chain = chains[a]
            let body: Body
            if chain.count > 10 && i % 10 == 7 {
                body = .opinion(try Opinion(target: chains[(a + 1) % 3][chain.count / 2].id, stance: i % 20 == 7 ? .confirm : .dispute))
            } else if chain.count > 10 && i % 10 == 9 {
                body = .retract(try Retraction(target: chain[chain.count - 9].id, reason: "test"))
            } else {
                body = .publish(try Signal(kind: .md5, value: String(format: "%032x", i % 5_000), category: "violence"))
            }
            chains[a].append(try Entry.sign(by: signers[a], seq: UInt64(chain.count + 1), prev: chain.last?.id ?? .zero,
                                            timestamp: Int64(i), body: body))
        }
        var out: [Entry] = []
        for i in 0..<chains[0].count { for c in chains where i < c.count { out.append(c[i]) } }
        return out
    }

    func tempStore() throws -> EntryStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return EntryStore(database: try .open(path: dir.appendingPathComponent("store.sqlite").path), reader: nil)
    }

    @Test("into an empty store it bulk-loads and reaches the state of batch-by-batch ingest; bad entries are reported at their input position")
    func bulkRunMatchesNormalIngest() throws {
        var encoded = try Self.entries(count: 12_000).map(\.bytes)
        // A broken signature early (inside the bulk batches) and a truncated entry late (in the
        // shrinking tail, after the index build): the rest of those authors' chains wait as pending.
        encoded[150][encoded[150].count - 1] ^= 0x01
        encoded[11_900] = Array(encoded[11_900].prefix(40))

        let store = try tempStore()
        let outcome = try IngestPipeline(store: store, largestBatch: 4_000).run(encoded: encoded)
        #expect(outcome.bulkEntries > 0 && outcome.bulkEntries < encoded.count)
        #expect(outcome.report.rejected.map(\.index) == [150, 11_900])
        #expect(outcome.report.rejected[0].message.contains("signature"))

        let reference = try tempStore()
        var expected = IngestReport()
        for start in stride(from: 0, to: encoded.count, by: 1_000) {
            expected.absorb(try reference.ingest(encoded: Array(encoded[start..<min(start + 1_000, encoded.count)])))
        }
        #expect(outcome.report.applied == expected.applied && outcome.report.pending == expected.pending)
        #expect(try store.stateDigest() == reference.stateDigest())
        #expect(try store.heads().map(\.seq) == reference.heads().map(\.seq))
        let indexes = try store.database.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ('entry_id', 'entry_author_seq', 'entry_indicator', 'opinion_target')")
        }
        #expect(Set(indexes) == ["entry_id", "entry_author_seq", "entry_indicator", "opinion_target"])
    }

    @Test("a store that holds entries takes the normal path; an atomic policy stops at the first refused batch")
    func normalPathAndAtomicStop() throws {
        let entries = try Self.entries(count: 10_500)
        let store = try tempStore()
        #expect(try store.ingest(Array(entries.prefix(10))).applied == 10)
        let outcome = try IngestPipeline(store: store, largestBatch: 2_000).run(Array(entries.dropFirst(10)))
        #expect(outcome.bulkEntries == 0)
        #expect(outcome.report.applied == 10_490)
        #expect(try store.statistics().entries == 10_500)

        var encoded = entries.map(\.bytes)
        encoded[3_000][encoded[3_000].count - 1] ^= 0x01
        let atomic = try tempStore()
        let stopped = try IngestPipeline(store: atomic, policy: IngestPolicy(atomic: true), largestBatch: 2_000).run(encoded: encoded)
        #expect(stopped.report.rolledBack)
        #expect(stopped.report.rejected.map(\.index) == [3_000])
        // Batches before the bad one are stored; the one holding it and all later ones are not.
        let stored = try atomic.statistics().entries
        #expect(stored > 0 && stored <= 3_000)
        #expect(stopped.report.applied == stored)
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import Testing

/// The SQLite store, not only the in-memory replica, must give every outcome and digest that
/// `merge.json` and `scenarios.json` state (SPEC §7.3, §8.10), one delivery at a time.
@Suite("Store against the merge vectors")
struct StoreVectorTests {
    /// The keys of a merge scenario this test needs.
    struct Scenario: Decodable {
        var name: String?
        var readerSeed: String?
        var entries: [String]
        var outcomes: [Outcome]
        var digest: String
        var digestLines: [String]
        struct Outcome: Decodable { var entry: String; var outcome: String }
    }
    struct ScenarioFile: Decodable { var scenarios: [Scenario] }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/test-vectors")

    static func all() throws -> [Scenario] {
        var merge = try JSONDecoder().decode(Scenario.self, from: Data(contentsOf: directory.appendingPathComponent("merge.json")))
        merge.name = "merge.json"
        let file = try JSONDecoder().decode(ScenarioFile.self, from: Data(contentsOf: directory.appendingPathComponent("scenarios.json")))
        return [merge] + file.scenarios
    }

    /// The outcome name of §7.3 for a one-entry ingest report.
    static func label(_ r: IngestReport) -> String {
        if let rejection = r.rejected.first { return "rejected:\(rejection.code.rawValue)" }
        if r.duplicates > 0 { return "duplicate" }
        if r.pending > 0 { return "pending" }
        return r.applied > 0 ? "applied" : "nothing"
    }

    @Test("every delivery's outcome and the final digest match the vector")
    func scenarios() throws {
        let scenarios = try Self.all()
        #expect(scenarios.count >= 7)
        for sc in scenarios {
            let reader = try sc.readerSeed.map { try Signer(seed: Hex.decode($0)!) }
            let store = EntryStore(database: try AppDatabase.inMemory(), reader: reader)
            for (hex, expected) in zip(sc.entries, sc.outcomes) {
                let report = try store.ingest(encoded: [Hex.decode(hex)!])
                #expect(Self.label(report) == expected.outcome, "\(sc.name ?? "?"): delivery of \(expected.entry.prefix(16))…")
            }
            #expect(Hex.encode(try store.stateDigest()) == sc.digest, "\(sc.name ?? "?")")
        }
    }
}

import CoalitionFuzz
import Foundation
import Testing

/// The short run of every fuzz target that CI makes: the built-in seeds and the repository's
/// corpus, then mutations of them, with no crash, no hang and no broken invariant. The long runs
/// (10,000,000 executions each, under libFuzzer) are in docs/reliability.md.
@Suite struct FuzzTargetTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let fixtures = root + "/../shared/fixtures/media"

    static func corpus(_ target: FuzzTarget) -> [[UInt8]] {
        var dirs = [root + "/Fuzz/corpus/" + target.name]
        // Media starts from small real files; the fixtures are never copied into the repository.
        if target.name == "media" { dirs += ["bridge-mods", "modes", "misc-images"].map { fixtures + "/images/" + $0 } }
        return dirs.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().compactMap { name -> [UInt8]? in
                guard let data = FileManager.default.contents(atPath: dir + "/" + name), data.count <= target.maxInputBytes else { return nil }
                return [UInt8](data)
            }
        }
    }

    @Test("every target survives its seeds, its corpus and 20,000 mutations with no finding", arguments: FuzzTarget.all.map(\.name))
    func shortRun(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let corpus = Self.corpus(target)
        let iterations = name == "media" ? 300 : 20_000
        let outcome = FuzzCampaign(target: target, corpus: corpus).run(iterations: iterations, seed: 20261203)
        print(outcome)
        #expect(outcome.findings.isEmpty, "\(outcome.findings.joined(separator: "\n"))")
        #expect(outcome.executions == target.seeds().count + corpus.count + iterations)
        // The seeds are valid inputs: a harness that refused them would test nothing.
        #expect(outcome.accepted >= target.seeds().count, "\(outcome)")
        if name == "media" { #expect(outcome.accepted > 0, "no fixture image was hashed; are the fixtures at \(Self.fixtures)?") }
    }

    @Test("the same seed replays the same inputs")
    func replay() throws {
        let target = try #require(FuzzTarget.named("lookup"))
        let a = FuzzCampaign(target: target).run(iterations: 2_000, seed: 7)
        let b = FuzzCampaign(target: target).run(iterations: 2_000, seed: 7)
        #expect(a.accepted == b.accepted && a.executions == b.executions)
    }

    @Test("a broken invariant is a finding that names the input")
    func findingsAreReported() {
        let target = FuzzTarget(name: "odd", summary: "refuses inputs of odd length as findings", seeds: { [[1, 2]] }) { bytes throws(FuzzFinding) in
            if bytes.count % 2 == 1 { throw FuzzFinding("odd length") }
            return true
        }
        let outcome = FuzzCampaign(target: target).run(iterations: 1_000, seed: 1, maxFindings: 3)
        #expect(outcome.findings.count == 3)
        #expect(outcome.findings.allSatisfy { $0.hasPrefix("odd length: ") })
    }
}

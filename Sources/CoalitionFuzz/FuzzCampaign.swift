import CoalitionCore
import Foundation

/// A seeded mutation loop over one target: the short run of the test suite and of CI, and the
/// fallback where libFuzzer is not built. Inputs that a parser accepts join the pool (up to
/// 512), so mutations go on from valid shapes the seeds did not have.
public struct FuzzCampaign {
    /// What a run did.
    public struct Outcome: Sendable, CustomStringConvertible {
        public var target = ""
        public var executions = 0
        public var accepted = 0
        public var findings: [String] = []
        /// The input that took longest, in seconds.
        public var slowestSeconds = 0.0
        public var elapsedSeconds = 0.0
        /// The process's peak resident memory at the end, in MiB (`VmHWM`).
        public var peakRSSMiB = 0.0

        public var description: String {
            let rate = elapsedSeconds > 0 ? Double(executions) / elapsedSeconds : 0
            return "\(target): \(executions) executions (\(Int(rate))/s), \(accepted) accepted, \(findings.count) findings, "
                + "slowest input \(String(format: "%.3f", slowestSeconds)) s, peak RSS \(Int(peakRSSMiB)) MiB"
        }
    }

    public let target: FuzzTarget
    /// Inputs to start from besides the target's own seeds (a corpus directory's files).
    public var corpus: [[UInt8]]
    /// An input slower than this is a finding (a hang, or quadratic work).
    public var slowInputSeconds = 5.0

    public init(target: FuzzTarget, corpus: [[UInt8]] = []) {
        self.target = target
        self.corpus = corpus
    }

    /// Feeds every seed and corpus file as is, then `iterations` mutations of them, stopping at
    /// the first `maxFindings` findings.
    public func run(iterations: Int, seed: UInt64, maxFindings: Int = 10, progress: ((Outcome) -> Void)? = nil) -> Outcome {
        var outcome = Outcome()
        outcome.target = target.name
        var pool = target.seeds() + corpus
        if pool.isEmpty { pool = [[]] }
        var mutator = Mutator(seed: seed, dictionary: target.dictionary)
        let started = ContinuousClock.now
        func feed(_ input: [UInt8]) -> Bool {
            let t0 = ContinuousClock.now
            defer {
                let took = (ContinuousClock.now - t0).seconds
                outcome.slowestSeconds = max(outcome.slowestSeconds, took)
                if took > slowInputSeconds {
                    outcome.findings.append("an input of \(input.count) bytes took \(String(format: "%.1f", took)) s: \(Self.hex(input))")
                }
            }
            outcome.executions += 1
            do {
                let ok = try target.run(input)
                if ok { outcome.accepted += 1 }
                return ok
            } catch {
                outcome.findings.append("\(error.description): \(Self.hex(input))")
                return false
            }
        }
        for input in pool where outcome.findings.count < maxFindings { _ = feed(Array(input.prefix(target.maxInputBytes))) }
        let fixed = pool.count
        for i in 0..<iterations where outcome.findings.count < maxFindings {
            let base = pool[mutator.below(pool.count)]
            let other = pool[mutator.below(pool.count)]
            let input = mutator.mutate(base, splicingWith: other, maxBytes: target.maxInputBytes)
            if feed(input), input != base {
                // Keep the seeds; let accepted mutants take the other places in turn.
                if pool.count < fixed + 512 { pool.append(input) } else { pool[fixed + mutator.below(512)] = input }
            }
            if let progress, i % 100_000 == 99_999 {
                outcome.elapsedSeconds = (ContinuousClock.now - started).seconds
                progress(outcome)
            }
        }
        outcome.elapsedSeconds = (ContinuousClock.now - started).seconds
        outcome.peakRSSMiB = Self.peakRSSMiB()
        return outcome
    }

    /// The start of an input in hex, to reproduce a finding.
    static func hex(_ b: [UInt8]) -> String {
        let shown = b.prefix(96).map { String(format: "%02x", $0) }.joined()
        return b.count > 96 ? shown + "… (\(b.count) bytes)" : shown
    }

    /// `VmHWM` of /proc/self/status, in MiB (0 where there is none).
    public static func peakRSSMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

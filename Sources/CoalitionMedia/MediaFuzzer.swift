import CoalitionCore

/// A seeded mutation loop over the decoders: ``Mutator``'s bit flips, interesting integers,
/// truncation, insertion and splicing applied to real files, each result hashed. Used by the test suite (a short
/// run) and `coalition-bench fuzz-media` (millions of inputs).
public enum MediaFuzzer {
    public struct Outcome: Sendable, CustomStringConvertible {
        public var inputs = 0
        public var hashed = 0
        public var refused = 0
        /// Refusals whose message was empty (a defect).
        public var emptyMessages = 0
        /// The longest any one input took, in seconds (a hang shows here, or as a timeout refusal).
        public var slowestSeconds = 0.0
        public var description: String { "\(inputs) inputs: \(hashed) hashed, \(refused) refused" }
        public init() {}
    }

    /// Runs `iterations` mutated inputs derived from `seeds`, deterministically from `seed`.
    public static func run(seeds: [[UInt8]], iterations: Int, seed: UInt64, limits: MediaLimits = MediaLimits(timeout: .seconds(5))) -> Outcome {
        var mutator = Mutator(seed: seed)
        var outcome = Outcome()
        let hasher = MediaHasher(limits: limits)
        for _ in 0..<iterations {
            let input = mutator.mutate(seeds[mutator.below(seeds.count)], splicingWith: seeds[mutator.below(seeds.count)], maxBytes: .max)
            outcome.inputs += 1
            let started = ContinuousClock.now
            defer {
                let took = ContinuousClock.now - started
                outcome.slowestSeconds = max(outcome.slowestSeconds, Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18)
            }
            do {
                _ = try hasher.hash(input)
                outcome.hashed += 1
            } catch {
                outcome.refused += 1
                if error.message.isEmpty { outcome.emptyMessages += 1 }
            }
        }
        return outcome
    }
}

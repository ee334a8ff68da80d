import CoalitionCore

/// A seeded mutation loop over the decoders: bit flips, byte overwrites, truncation, insertion
/// and header splicing applied to real files, each result hashed. Used by the test suite (a short
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
        var rng = SplitMix64(seed: seed)
        var outcome = Outcome()
        let hasher = MediaHasher(limits: limits)
        for _ in 0..<iterations {
            var input = seeds[Int(rng.next() % UInt64(seeds.count))]
            let mutations = 1 + Int(rng.next() % 8)
            for _ in 0..<mutations where !input.isEmpty {
                let at = Int(rng.next() % UInt64(input.count))
                switch rng.next() % 6 {
                case 0: input[at] ^= UInt8(1 << (rng.next() % 8))
                case 1: input[at] = UInt8(truncatingIfNeeded: rng.next())
                case 2: input.removeSubrange(at...)
                case 3: input.insert(contentsOf: (0..<(1 + Int(rng.next() % 16))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
                case 4:  // corrupt the header region, where sizes and tables live
                    let h = Int(rng.next() % UInt64(min(input.count, 64)))
                    input[h] = [0, 0xFF, 0x7F, 0x80][Int(rng.next() % 4)]
                default: input.removeSubrange(at..<min(input.count, at + 1 + Int(rng.next() % 64)))
                }
            }
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

/// One parser behind one function that takes arbitrary bytes, for libFuzzer and for the seeded
/// mutation loop that the test suite runs.
///
/// `run` returns whether the parser accepted the input (true) or refused it; it throws a
/// ``FuzzFinding`` when an invariant broke (a value that decodes but does not round-trip, a
/// refusal with no message, two parsers that disagree). A crash, a trap or a hang is a finding
/// too; libFuzzer and the loop catch those themselves.
public struct FuzzTarget: Sendable {
    /// The name on the command line (`coalition-fuzz run frame`).
    public let name: String
    /// What the target feeds its input to.
    public let summary: String
    /// Valid inputs to start from; mutations of these reach far deeper than random bytes.
    public let seeds: @Sendable () -> [[UInt8]]
    /// Tokens the mutator splices in (JSON punctuation, CSV quotes, YAML anchors, ...).
    public let dictionary: [[UInt8]]
    /// Inputs larger than this are cut before `run`; frames and entries are bounded, and a
    /// parser's speed on megabytes of noise is measured elsewhere.
    public let maxInputBytes: Int
    /// Feeds one input to the parser: true when it was accepted.
    public let run: @Sendable ([UInt8]) throws(FuzzFinding) -> Bool

    public init(name: String, summary: String, maxInputBytes: Int = 64 << 10, dictionary: [String] = [],
                seeds: @escaping @Sendable () -> [[UInt8]], run: @escaping @Sendable ([UInt8]) throws(FuzzFinding) -> Bool) {
        self.name = name
        self.summary = summary
        self.maxInputBytes = maxInputBytes
        self.dictionary = dictionary.map { Array($0.utf8) }
        self.seeds = seeds
        self.run = run
    }
}

/// An invariant that an input broke.
public struct FuzzFinding: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

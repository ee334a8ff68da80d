/// The aggregate of members' opinions on a signal.
public enum Verdict: String, Sendable, Codable, CaseIterable {
    /// No confirm or dispute yet.
    case none
    /// Only positive opinions (confirm).
    case confirmed
    /// Negative opinions mixed with positive ones.
    case disputed
    /// Only negative opinions: every member that judged it calls it a false positive.
    case falsePositive = "false_positive"

    /// Aggregates counts of winning opinions. `seen` does not count.
    public init(confirms: Int, disputes: Int) {
        switch (confirms > 0, disputes > 0) {
        case (false, false): self = .none
        case (true, false): self = .confirmed
        case (true, true): self = .disputed
        case (false, true): self = .falsePositive
        }
    }
}

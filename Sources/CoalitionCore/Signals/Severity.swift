/// How harmful the content behind a signal is. Encoded as one byte: low 0 … critical 3.
public enum Severity: UInt8, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case low = 0, medium = 1, high = 2, critical = 3

    /// Parses `low`, `medium`, `high` or `critical`.
    public init(name: String) throws(CoalitionError) {
        guard let s = Self.allCases.first(where: { $0.name == name.lowercased() }) else {
            throw CoalitionError(.invalidField, "'\(name)' is not a severity (low, medium, high, critical)", field: "severity")
        }
        self = s
    }

    /// The name used in JSON, CSV and the CLI.
    public var name: String { String(describing: self) }
    public var description: String {
        switch self { case .low: "low"; case .medium: "medium"; case .high: "high"; case .critical: "critical" }
    }
}

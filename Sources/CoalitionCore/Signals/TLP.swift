/// The Traffic Light Protocol (FIRST TLP 2.0) level of a signal: who may read it.
///
/// `amber+strict` and `red` signals are always sent encrypted to named recipients; a plaintext
/// entry carrying them is invalid. Encoded as one byte: clear 0 … red 4.
public enum TLP: UInt8, CaseIterable, Sendable, CustomStringConvertible {
    case clear = 0, green = 1, amber = 2, amberStrict = 3, red = 4

    /// Parses `clear`, `green`, `amber`, `amber+strict` or `red` (case-insensitive; `white` is read as `clear`).
    public init(name: String) throws(CoalitionError) {
        switch name.lowercased() {
        case "clear", "white": self = .clear
        case "green": self = .green
        case "amber": self = .amber
        case "amber+strict", "amber-strict", "amber_strict": self = .amberStrict
        case "red": self = .red
        default:
            throw CoalitionError(.invalidField, "'\(name)' is not a TLP level (clear, green, amber, amber+strict, red)", field: "tlp")
        }
    }

    /// True for the levels that must travel encrypted.
    public var requiresEncryption: Bool { self >= .amberStrict }

    public var description: String {
        switch self { case .clear: "clear"; case .green: "green"; case .amber: "amber"; case .amberStrict: "amber+strict"; case .red: "red" }
    }
}

extension TLP: Comparable {
    public static func < (a: TLP, b: TLP) -> Bool { a.rawValue < b.rawValue }
}

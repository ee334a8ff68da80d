/// A harmful-content signal: what it matches and what is known about it. No media, only signals.
///
/// Create signals with ``Signal/init(kind:value:category:severity:tlp:labels:expiresAt:note:quality:)``,
/// which canonicalises and validates every field, or decode them from a publish entry.
public struct Signal: Hashable, Sendable {
    /// What ``value`` is.
    public var kind: SignalKind
    /// The canonical value (for example lowercase hex, or a canonical URL).
    public var value: String
    /// A taxonomy category, `category` or `category/keyword` (see `Protocol/taxonomy.json`).
    public var category: String
    /// How harmful it is.
    public var severity: Severity
    /// Who may read it.
    public var tlp: TLP
    /// Free labels: lowercase, sorted, unique.
    public var labels: [String]
    /// When the signal stops being active, in milliseconds since the Unix epoch.
    public var expiresAt: Int64?
    /// A short note for other platforms' moderators.
    public var note: String?
    /// PDQ quality score, 0–100 (pdq only).
    public var quality: UInt8?

    /// Validates and canonicalises a signal as a publisher does.
    /// - Throws: ``CoalitionError`` with code `invalidField` and the field's name.
    public init(
        kind: SignalKind, value: String, category: String, severity: Severity = .medium, tlp: TLP = .green,
        labels: [String] = [], expiresAt: Int64? = nil, note: String? = nil, quality: UInt8? = nil
    ) throws(CoalitionError) {
        self.kind = kind
        self.value = try SignalRules.canonicalValue(value, kind: kind)
        self.category = try SignalRules.checkCategory(category)
        self.severity = severity
        self.tlp = tlp
        self.labels = try SignalRules.canonicalLabels(labels)
        self.expiresAt = expiresAt
        let trimmedNote = note?.trimmingWhitespace()
        self.note = (trimmedNote?.isEmpty ?? true) ? nil : trimmedNote
        if let n = self.note { try SignalRules.checkNote(n, field: "note") }
        if let quality {
            guard kind == .pdq else { throw CoalitionError(.invalidField, "a quality score is only for pdq signals", field: "quality") }
            guard quality <= 100 else { throw CoalitionError(.invalidField, "must be 0–100, got \(quality)", field: "quality") }
        }
        self.quality = quality
    }

    /// Rebuilds a signal whose fields were already checked (decoded from a valid entry, or read
    /// back from a store that only holds such signals). Performs no validation.
    public init(validated kind: SignalKind, value: String, category: String, severity: Severity, tlp: TLP,
         labels: [String], expiresAt: Int64?, note: String?, quality: UInt8?) {
        self.kind = kind; self.value = value; self.category = category; self.severity = severity
        self.tlp = tlp; self.labels = labels; self.expiresAt = expiresAt; self.note = note; self.quality = quality
    }

    /// The indicator this signal belongs to: all signals with the same kind and value are one indicator.
    public var indicator: IndicatorKey { IndicatorKey(kind: kind, value: value) }
}

/// The identity of an indicator: a (kind, canonical value) pair that several platforms may publish.
///
/// Values compare by their UTF-8 bytes (SPEC §8.3), not by Swift's `String` equality, which
/// treats canonically equivalent text as equal: two byte-different values are two indicators
/// on every node, whatever its Unicode library.
public struct IndicatorKey: Hashable, Sendable, Comparable {
    public let kind: SignalKind
    public let value: String
    public init(kind: SignalKind, value: String) { self.kind = kind; self.value = value }

    public static func == (a: IndicatorKey, b: IndicatorKey) -> Bool {
        a.kind.name == b.kind.name && a.value.utf8.elementsEqual(b.value.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind.name)
        for byte in value.utf8 { hasher.combine(byte) }
    }

    public static func < (a: IndicatorKey, b: IndicatorKey) -> Bool {
        if a.kind.name != b.kind.name { return a.kind.name < b.kind.name }
        return a.value.utf8.lexicographicallyPrecedes(b.value.utf8)
    }
}

extension String {
    /// Trims Unicode white space at both ends.
    func trimmingWhitespace() -> String {
        // Printable ASCII at both ends (nearly every value) means nothing to trim: no copy.
        if let first = utf8.first, let last = utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) { return self }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}

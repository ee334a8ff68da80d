import CoalitionCore

/// A rule: which events to act on, and where to send them.
///
/// Every filter that is set must hold (an empty list means "any"); within one list, any entry
/// may match. Rules live in `coalition.yaml` (`rules:`) and in the store (`coalition rules add`,
/// `POST /v1/rules`); both kinds are evaluated alike.
public struct AlertRule: Sendable, Codable, Equatable {
    /// A unique name, `[a-z0-9][a-z0-9._-]{0,63}`.
    public var name: String
    /// The event types it matches; empty means every type.
    public var events: [AlertEvent.EventType] = []
    /// Signal kinds (`pdq`, `md5`, `sha256`, `url`, `trend`…).
    public var kinds: [String] = []
    /// Taxonomy categories; `self-harm` also matches `self-harm/challenge`.
    public var categories: [String] = []
    /// Words or phrases: a match when one occurs (case-insensitively) in the signal's value,
    /// category, labels or note.
    public var keywords: [String] = []
    /// The least severity matched (`low`, `medium`, `high`, `critical`).
    public var minSeverity: String?
    /// Member IDs of the signals' authors.
    public var authors: [String] = []
    /// Labels, any of which must be on the signal.
    public var labels: [String] = []
    /// TLP levels matched (`clear`, `green`, `amber`, `amber+strict`, `red`).
    public var tlp: [String] = []
    /// For `peer.lagging`: how many entries behind a peer must be (default 1000).
    public var lagEntries: UInt64?
    /// The webhook endpoint's name.
    public var destination: String
    /// Where the rule is defined: `config` (read from coalition.yaml) or `store`.
    public var source: String?

    public init(name: String, events: [AlertEvent.EventType] = [], destination: String) {
        self.name = name
        self.events = events
        self.destination = destination
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        destination = try c.decode(String.self, forKey: .destination)
        // Event names are parsed leniently (`published` for `signal.published`).
        let names = try c.decodeIfPresent([String].self, forKey: .events) ?? []
        events = try names.map { n throws(CoalitionError) in try AlertEvent.EventType(name: n) }
        kinds = try c.decodeIfPresent([String].self, forKey: .kinds) ?? []
        categories = try c.decodeIfPresent([String].self, forKey: .categories) ?? []
        keywords = try c.decodeIfPresent([String].self, forKey: .keywords) ?? []
        minSeverity = try c.decodeIfPresent(String.self, forKey: .minSeverity)
        authors = try c.decodeIfPresent([String].self, forKey: .authors) ?? []
        labels = try c.decodeIfPresent([String].self, forKey: .labels) ?? []
        tlp = try c.decodeIfPresent([String].self, forKey: .tlp) ?? []
        lagEntries = try c.decodeIfPresent(UInt64.self, forKey: .lagEntries)
        source = try c.decodeIfPresent(String.self, forKey: .source)
    }

    /// The default `lagEntries`.
    public static let defaultLagEntries: UInt64 = 1000

    /// Checks every field, so that a rule that can never work is refused when it is added.
    /// - Throws: `CoalitionError(.invalidField)` naming the field.
    public func validate() throws(CoalitionError) {
        try Self.checkName(name, field: "name")
        try Self.checkName(destination, field: "destination")
        for k in kinds { _ = try SignalKind(name: k) }
        if let s = minSeverity { _ = try Severity(name: s) }
        for t in tlp { _ = try TLP(name: t) }
        for c in categories where c.isEmpty || c.count > 128 {
            throw CoalitionError(.invalidField, "a category must be 1–128 characters", field: "categories")
        }
        for k in keywords where k.allSatisfy(\.isWhitespace) || k.count > 256 {
            throw CoalitionError(.invalidField, "a keyword must be 1–256 characters", field: "keywords")
        }
        for a in authors { _ = try MemberID(parsing: a) }
        if lagEntries == 0 { throw CoalitionError(.invalidField, "must be at least 1", field: "lagEntries") }
    }

    /// Names of rules and endpoints: lowercase letters, digits, `.`, `_` and `-`, 1–64.
    public static func checkName(_ name: String, field: String) throws(CoalitionError) {
        let ok = !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x5f || c == 0x2d
        } && name.utf8.first.map { $0 != 0x2e && $0 != 0x2d && $0 != 0x5f } == true
        guard ok else {
            throw CoalitionError(.invalidField, "'\(name)' is not a valid name (1–64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit)", field: field)
        }
    }

    /// Whether the rule acts on `event`.
    public func matches(_ event: AlertEvent) -> Bool {
        if !events.isEmpty, !events.contains(event.type) { return false }
        let s = event.subject
        if event.type == .peerLagging, s.lagThreshold != (lagEntries ?? Self.defaultLagEntries) { return false }
        if !kinds.isEmpty { guard let k = s.kind, kinds.contains(k.name) else { return false } }
        if !categories.isEmpty {
            guard let c = s.category, categories.contains(where: { c == $0 || c.hasPrefix($0 + "/") }) else { return false }
        }
        if let min = minSeverity, let floor = try? Severity(name: min) {
            guard let sev = s.severity, sev.rawValue >= floor.rawValue else { return false }
        }
        if !authors.isEmpty { guard let a = s.author ?? s.peer, authors.contains(a) else { return false } }
        if !labels.isEmpty { guard s.labels.contains(where: labels.contains) else { return false } }
        if !tlp.isEmpty {
            guard let level = s.tlp, tlp.contains(where: { (try? TLP(name: $0)) == level }) else { return false }
        }
        if !keywords.isEmpty {
            let haystack = ([s.value, s.category, s.note].compactMap { $0 } + s.labels).joined(separator: "\n").lowercased()
            guard keywords.contains(where: { haystack.contains($0.lowercased()) }) else { return false }
        }
        return true
    }

    /// The destinations that `event` goes to under `rules`, each once, in name order.
    public static func destinations(of event: AlertEvent, under rules: [AlertRule]) -> [String] {
        Array(Set(rules.lazy.filter { $0.matches(event) }.map(\.destination))).sorted()
    }
}

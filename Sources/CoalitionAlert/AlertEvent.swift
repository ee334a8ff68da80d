import CoalitionCore

/// Something a rule can act on: a change of the merged state, a peer's health, or a signal that
/// matched the platform's own content (a retro-hunt hit).
///
/// An event carries what rules filter on (``Subject``) and the JSON that a webhook delivers
/// (``data``). Its ``id`` is derived from what caused it, so that an event rebuilt after a crash
/// has the same ID: it is the `webhook-id`, the receiver's idempotency key.
public struct AlertEvent: Sendable, Equatable {
    /// What happened.
    public enum EventType: String, Sendable, Codable, CaseIterable, Comparable {
        /// A signal became known and is in force.
        case signalPublished = "signal.published"
        /// An author retracted one of its signals.
        case signalRetracted = "signal.retracted"
        /// A member disputed a signal.
        case signalDisputed = "signal.disputed"
        /// A member confirmed a signal.
        case signalConfirmed = "signal.confirmed"
        /// A signal's verdict (from all members' opinions) changed.
        case verdictChanged = "verdict.changed"
        /// An author signed two entries at one sequence number.
        case equivocation = "equivocation.detected"
        /// A connected peer went away.
        case peerDown = "peer.down"
        /// A peer is behind by more than a rule's threshold.
        case peerLagging = "peer.lagging"
        /// An arriving signal matched content registered in this platform's content bank.
        case retroMatch = "retro.match"

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

        /// Parses a type name; `signal-published` and `published` are accepted for `signal.published`.
        public init(name: String) throws(CoalitionError) {
            let n = name.lowercased().replacingOccurrences(of: "-", with: ".").replacingOccurrences(of: "_", with: ".")
            if let t = Self(rawValue: n) { self = t; return }
            if let t = Self.allCases.first(where: { $0.rawValue.hasSuffix("." + n) || $0.rawValue.hasPrefix(n + ".") }) { self = t; return }
            throw CoalitionError(.invalidField, "'\(name)' is not an event type (\(Self.allCases.map(\.rawValue).joined(separator: ", ")))", field: "events")
        }
    }

    /// What rules filter on. Signal fields are nil for events about peers.
    public struct Subject: Sendable, Equatable {
        public var kind: SignalKind?
        public var value: String?
        public var category: String?
        public var severity: Severity?
        public var tlp: TLP?
        public var labels: [String] = []
        public var note: String?
        /// The member ID of the signal's author (or of the equivocating author).
        public var author: String?
        /// The member ID of the peer, for peer events.
        public var peer: String?
        /// Entries the peer is behind, for `peer.lagging`.
        public var behind: UInt64?
        /// For `peer.lagging`: the threshold crossed (only rules with that `lagEntries` match).
        public var lagThreshold: UInt64?

        public init(kind: SignalKind? = nil, value: String? = nil, category: String? = nil, severity: Severity? = nil, tlp: TLP? = nil,
                    labels: [String] = [], note: String? = nil, author: String? = nil, peer: String? = nil, behind: UInt64? = nil,
                    lagThreshold: UInt64? = nil) {
            self.kind = kind; self.value = value; self.category = category; self.severity = severity; self.tlp = tlp
            self.labels = labels; self.note = note; self.author = author; self.peer = peer; self.behind = behind
            self.lagThreshold = lagThreshold
        }
    }

    /// The `webhook-id`: stable across rebuilds of the same event.
    public var id: String
    public var type: EventType
    /// When it happened (ms since the epoch).
    public var at: Int64
    public var subject: Subject
    /// The `data` object of the delivered JSON, already encoded.
    public var data: [UInt8]

    public init(id: String, type: EventType, at: Int64, subject: Subject, data: [UInt8]) {
        self.id = id; self.type = type; self.at = at; self.subject = subject; self.data = data
    }

    /// Critical signals' events jump the queue: delivered before anything else pending.
    public var isCritical: Bool { subject.severity == .critical }
}

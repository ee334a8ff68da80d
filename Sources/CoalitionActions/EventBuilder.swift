import CoalitionAlert
import CoalitionCore
import CoalitionCrypto
import CoalitionQuery
import CoalitionStore
import Foundation

/// Turns the change log into events: what each committed change means to a rule (a signal
/// published, retracted, disputed…), with the signal's view as the webhook's data, and the
/// retro-hunt of each arriving signal against the content bank.
///
/// Event IDs come from the entry and the event type, so the same change always gives the same
/// IDs: replayed after a crash, they are recognised as already queued.
public struct EventBuilder: Sendable {
    public let query: QueryService
    /// The content bank, for retro-hunts; nil skips them (`coalition rules test`).
    public let bank: ContentBank?
    /// The PDQ distance within which a bank item matches an arriving signal.
    public let pdqDistance: Int

    public init(query: QueryService, bank: ContentBank?, pdqDistance: Int = 31) {
        self.query = query
        self.bank = bank
        self.pdqDistance = pdqDistance
    }

    /// The events of a page of changes that at least one of `rules` matches, in change order, and
    /// each opined signal's verdict now.
    /// - Parameters:
    ///   - verdicts: verdicts as last remembered (before these changes).
    ///   - replay: rebuilding history (`coalition rules test`): a signal retracted since counts as
    ///     published (the log read back marks it no longer in force).
    public func events(for changes: [ChangeRecord], verdicts known: [EntryID: String], rules: [AlertRule],
                       replay: Bool = false) throws -> (events: [AlertEvent], verdicts: [(signal: EntryID, verdict: String)]) {
        var out: [AlertEvent] = []
        var verdicts = known
        var changed: [EntryID: String] = [:]
        guard !rules.isEmpty else { return ([], []) }
        let store = query.store
        // Only events some rule matches are built: the signal's view (several reads) and the
        // retro-hunt's scan are the costly parts, and a node without rules does neither.
        func wanted(_ type: AlertEvent.EventType, _ subject: AlertEvent.Subject) -> Bool {
            let probe = AlertEvent(id: "", type: type, at: 0, subject: subject, data: [])
            return rules.contains { $0.matches(probe) }
        }
        let verdictRules = rules.contains { $0.events.isEmpty || $0.events.contains(.verdictChanged) }
        for c in changes {
            switch c.kind {
            case .added:
                guard c.live || replay, let id = c.signal, let row = try store.signal(id) else { continue }
                let subject = Self.subject(row)
                let published = wanted(.signalPublished, subject)
                let hits = bank != nil && wanted(.retroMatch, subject)
                    ? try bank!.matches(kind: row.signal.kind, value: row.signal.value, radius: pdqDistance) : []
                guard published || !hits.isEmpty else { continue }
                let view = try query.view(row)
                if published {
                    out.append(AlertEvent(id: Self.eventID(.signalPublished, c), type: .signalPublished, at: c.at, subject: subject,
                                          data: try Self.json(SignalData(cursor: c.cursor, entry: c.entry.hex, signal: view))))
                }
                if !hits.isEmpty {
                    out.append(AlertEvent(id: Self.eventID(.retroMatch, c), type: .retroMatch, at: c.at, subject: subject,
                                          data: try Self.json(RetroMatchData(cursor: c.cursor, entry: c.entry.hex, signal: view,
                                                                             distance: row.signal.kind == .pdq ? pdqDistance : nil,
                                                                             matches: hits))))
                }
            case .retracted:
                guard let id = c.signal, let row = try store.signal(id) else { continue }
                let subject = Self.subject(row)
                guard wanted(.signalRetracted, subject) else { continue }
                out.append(AlertEvent(id: Self.eventID(.signalRetracted, c), type: .signalRetracted, at: c.at, subject: subject,
                                      data: try Self.json(SignalData(cursor: c.cursor, entry: c.entry.hex, signal: try query.view(row)))))
            case .opinion:
                guard let id = c.signal, let row = try store.signal(id) else { continue }
                let subject = Self.subject(row)
                let opinions = try store.opinions(on: id)
                let op = opinions.first { $0.entry == c.entry }
                let type: AlertEvent.EventType? = op.flatMap { $0.stance == .seen ? nil : $0.stance == .dispute ? .signalDisputed : .signalConfirmed }
                let before = verdicts[id] ?? Verdict.none.rawValue
                let now = Verdict(confirms: opinions.count { $0.stance == .confirm }, disputes: opinions.count { $0.stance == .dispute }).rawValue
                if now != before {
                    // Remembered whether or not a rule wants it, so that a rule added later sees true changes.
                    verdicts[id] = now
                    changed[id] = now
                }
                let opinionWanted = type.map { wanted($0, subject) } ?? false
                let verdictWanted = now != before && verdictRules && wanted(.verdictChanged, subject)
                guard opinionWanted || verdictWanted else { continue }
                let view = try query.view(row)
                if opinionWanted, let type, let op {
                    out.append(AlertEvent(id: Self.eventID(type, c), type: type, at: c.at, subject: subject,
                                          data: try Self.json(OpinionData(cursor: c.cursor, entry: c.entry.hex, member: MemberID(publicKey: op.author).description,
                                                                          memberName: query.names(op.author), stance: op.stance.description,
                                                                          note: op.note, signal: view))))
                }
                if verdictWanted {
                    out.append(AlertEvent(id: Self.eventID(.verdictChanged, c), type: .verdictChanged, at: c.at, subject: subject,
                                          data: try Self.json(VerdictData(cursor: c.cursor, entry: c.entry.hex, from: before, to: now, signal: view))))
                }
            case .equivocation:
                let author = try store.entry(c.entry)?.author
                let member = author.map { MemberID(publicKey: $0).description }
                let subject = AlertEvent.Subject(author: member)
                guard wanted(.equivocation, subject) else { continue }
                out.append(AlertEvent(id: Self.eventID(.equivocation, c), type: .equivocation, at: c.at, subject: subject,
                                      data: try Self.json(EquivocationData(cursor: c.cursor, entry: c.entry.hex, member: member,
                                                                           memberName: author.map(query.names)))))
            case .rotation:
                continue
            }
        }
        return (out, changed.map { ($0.key, $0.value) })
    }

    /// What rules filter on, from a stored signal.
    static func subject(_ row: SignalRow) -> AlertEvent.Subject {
        let s = row.signal
        return AlertEvent.Subject(kind: s.kind, value: s.value, category: s.category, severity: s.severity, tlp: s.tlp,
                                  labels: s.labels, note: s.note, author: MemberID(publicKey: row.author).description)
    }

    /// `msg_` and 32 hex digits of SHA-256 over the type and the entry: the same change always
    /// gives the same ID.
    static func eventID(_ type: AlertEvent.EventType, _ change: ChangeRecord) -> String {
        var h = SHA256.Hasher()
        h.update(Array(type.rawValue.utf8))
        h.update(change.entry.bytes)
        if let s = change.signal { h.update(s.bytes) }
        return "msg_" + Hex.encode(Array(h.finalize().prefix(16)))
    }

    static func json(_ value: some Encodable) throws -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try e.encode(value))
    }

    struct SignalData: Encodable {
        var cursor: Int64
        var entry: String
        var signal: SignalView
    }

    struct RetroMatchData: Encodable {
        var cursor: Int64
        var entry: String
        var signal: SignalView
        /// The PDQ distance the bank was searched within.
        var distance: Int?
        var matches: [ContentBank.Hit]
    }

    struct OpinionData: Encodable {
        var cursor: Int64
        var entry: String
        var member: String
        var memberName: String
        var stance: String
        var note: String?
        var signal: SignalView
    }

    struct VerdictData: Encodable {
        var cursor: Int64
        var entry: String
        var from: String
        var to: String
        var signal: SignalView
    }

    struct EquivocationData: Encodable {
        var cursor: Int64
        var entry: String
        var member: String?
        var memberName: String?
    }
}

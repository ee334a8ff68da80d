import CoalitionCrypto

/// The merged view of a set of valid entries: the CRDT.
///
/// It is a deterministic function of the *set* of valid entries a node can read, whatever order
/// they were applied in (`Protocol/SPEC.md` §8):
/// - every publish is a signal; signals with the same (kind, value) form one indicator;
/// - a retraction by the signal's own author retracts it (the smallest retracting entry, by
///   (seq, ID), is the one shown);
/// - an opinion is last-writer-wins per (author, target), by (seq, ID);
/// - an author with two valid entries at one sequence number is an equivocator;
/// - sealed entries the reader cannot open are counted, not applied.
///
/// Activity (retracted or expired) is evaluated at read time with ``isActive(_:now:)``.
public struct MergedState: Sendable {
    /// A published signal and where it came from.
    public struct SignalRecord: Sendable, Hashable {
        public let id: EntryID
        public let author: PublicKey
        public let seq: UInt64
        public let publishedAt: Int64
        public let signal: Signal
        /// Whether it arrived sealed (restricted).
        public let restricted: Bool
        /// The retraction that applies, if any.
        public fileprivate(set) var retraction: RetractionRecord?
    }

    /// A retraction entry.
    public struct RetractionRecord: Sendable, Hashable {
        public let entry: EntryID
        public let author: PublicKey
        public let seq: UInt64
        public let reason: String
        fileprivate func precedes(_ o: RetractionRecord) -> Bool { (seq, entry) < (o.seq, o.entry) }
    }

    /// The winning opinion of one author on one target.
    public struct OpinionRecord: Sendable, Hashable {
        public let entry: EntryID
        public let author: PublicKey
        public let seq: UInt64
        public let timestamp: Int64
        public let opinion: Opinion
    }

    struct OpinionKey: Hashable { let author: PublicKey; let target: EntryID }

    public private(set) var signals: [EntryID: SignalRecord] = [:]
    public private(set) var indicators: [IndicatorKey: Set<EntryID>] = [:]
    private var retractions: [EntryID: [RetractionRecord]] = [:]
    private var opinions: [OpinionKey: OpinionRecord] = [:]
    private var opinionsByTarget: [EntryID: Set<PublicKey>] = [:]
    /// Authors seen signing two entries with one sequence number.
    public private(set) var equivocators: Set<PublicKey> = []
    /// Key rotations: author → successors named (more than one only if the author equivocated).
    public private(set) var rotations: [PublicKey: Set<PublicKey>] = [:]
    /// Sealed entries this reader cannot open.
    public private(set) var unreadable: Set<EntryID> = []

    public init() {}

    /// Applies one valid entry. `readable` is the body to apply: the plaintext body, the
    /// decrypted inner body of a sealed entry, or nil when the reader cannot open it.
    public mutating func apply(_ entry: Entry, readable: Body?) {
        guard let body = readable else {
            if entry.bodyType == BodyType.sealed { unreadable.insert(entry.id) }
            return
        }
        let restricted = entry.bodyType == BodyType.sealed
        switch body {
        case .publish(let signal):
            var rec = SignalRecord(id: entry.id, author: entry.author, seq: entry.seq, publishedAt: entry.timestamp,
                                   signal: signal, restricted: restricted, retraction: nil)
            rec.retraction = retractions[entry.id]?.filter { $0.author == entry.author }.min { $0.precedes($1) }
            signals[entry.id] = rec
            indicators[signal.indicator, default: []].insert(entry.id)
        case .retract(let r):
            let rec = RetractionRecord(entry: entry.id, author: entry.author, seq: entry.seq, reason: r.reason)
            retractions[r.target, default: []].append(rec)
            if var s = signals[r.target], s.author == entry.author {
                if s.retraction == nil || rec.precedes(s.retraction!) {
                    s.retraction = rec
                    signals[r.target] = s
                }
            }
        case .opinion(let o):
            let key = OpinionKey(author: entry.author, target: o.target)
            let rec = OpinionRecord(entry: entry.id, author: entry.author, seq: entry.seq, timestamp: entry.timestamp, opinion: o)
            if let cur = opinions[key], (cur.seq, cur.entry) >= (rec.seq, rec.entry) { return }
            opinions[key] = rec
            opinionsByTarget[o.target, default: []].insert(entry.author)
        case .keyRotation(let k):
            rotations[entry.author, default: []].insert(k.successor)
        case .sealed, .unknown:
            break
        }
    }

    /// Marks an author as equivocating.
    public mutating func markEquivocation(_ author: PublicKey) {
        equivocators.insert(author)
    }

    /// Whether a signal is neither retracted nor expired at `now` (ms since epoch).
    public func isActive(_ id: EntryID, now: Int64) -> Bool {
        guard let s = signals[id] else { return false }
        return SignalStatus(retracted: s.retraction != nil, expiresAt: s.signal.expiresAt, now: now).isActive
    }

    /// The winning opinions on a signal, sorted by author.
    public func opinions(on target: EntryID) -> [OpinionRecord] {
        (opinionsByTarget[target] ?? []).sorted().compactMap { opinions[OpinionKey(author: $0, target: target)] }
    }

    /// The aggregate verdict of a signal.
    public func verdict(for target: EntryID) -> Verdict {
        let ops = opinions(on: target)
        return Verdict(confirms: ops.count { $0.opinion.stance == .confirm }, disputes: ops.count { $0.opinion.stance == .dispute })
    }

    /// All signals of an indicator, sorted by ID.
    public func sources(of key: IndicatorKey) -> [SignalRecord] {
        (indicators[key] ?? []).sorted().compactMap { signals[$0] }
    }

    /// A digest of the whole state (`Protocol/SPEC.md` §8.10): equal digests mean equal states.
    public func digest() -> [UInt8] { StateDigest.digest(digestLines()) }

    /// The lines the digest is computed over, sorted.
    public func digestLines() -> [String] {
        var lines: [String] = []
        for s in signals.values { lines.append(StateDigest.signalLine(id: s.id, retractedBy: s.retraction?.entry)) }
        for o in opinions.values { lines.append(StateDigest.opinionLine(author: o.author, target: o.opinion.target, entry: o.entry)) }
        for e in equivocators { lines.append(StateDigest.equivocatorLine(e)) }
        for (a, succs) in rotations { for s in succs { lines.append(StateDigest.rotationLine(author: a, successor: s)) } }
        for u in unreadable { lines.append(StateDigest.unreadableLine(u)) }
        return StateDigest.sorted(lines)
    }
}

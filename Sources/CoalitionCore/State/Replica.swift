import CoalitionCrypto

/// An in-memory node: validity, ordering and the merged state, with no I/O.
///
/// It accepts entries in any order. An entry whose predecessor has not arrived waits (pending)
/// and is applied as soon as the predecessor is. This is the reference the SQLite store is
/// tested against, and what the CRDT property tests drive.
public struct Replica: Sendable {
    /// What happened to a received entry.
    public enum Outcome: Sendable, Equatable {
        /// Valid and applied; `released` counts pending entries that it unblocked.
        case applied(released: Int)
        /// Already known.
        case duplicate
        /// Valid so far, waiting for its predecessor.
        case pending
        /// Invalid; never stored.
        case rejected(CoalitionError.Code, String)
    }

    /// The key this replica reads sealed entries with (nil: it can read none).
    public let reader: Signer?
    /// Every valid, applied entry by ID.
    public private(set) var entries: [EntryID: Entry] = [:]
    private var bySeq: [AuthorSeq: Set<EntryID>] = [:]
    private var pending: [EntryID: [Entry]] = [:]
    private var pendingIDs: Set<EntryID> = []
    /// The merged state.
    public private(set) var state = MergedState()

    struct AuthorSeq: Hashable { let author: PublicKey; let seq: UInt64 }

    public init(reader: Signer? = nil) { self.reader = reader }

    /// Entries waiting for a predecessor.
    public var pendingCount: Int { pendingIDs.count }

    /// Receives one entry.
    @discardableResult
    public mutating func receive(_ entry: Entry) -> Outcome {
        if entries[entry.id] != nil || pendingIDs.contains(entry.id) { return .duplicate }
        let body: Body
        do { body = try entry.validateIntrinsic() } catch { return .rejected(error.code, error.description) }
        if entry.seq > 1 {
            guard let prev = entries[entry.prev] else {
                pending[entry.prev, default: []].append(entry)
                pendingIDs.insert(entry.id)
                return .pending
            }
            do { try ChainRules.checkLink(entry, to: ChainLink(prev)) } catch { return .rejected(error.code, error.description) }
        }
        accept(entry, body: body)
        // Release everything that was waiting on it, breadth first.
        var released = 0
        var queue = [entry.id]
        while let id = queue.popLast() {
            guard let waiting = pending.removeValue(forKey: id) else { continue }
            for w in waiting {
                pendingIDs.remove(w.id)
                guard (try? ChainRules.checkLink(w, to: ChainLink(entries[id]!))) != nil else { continue }
                accept(w, body: try! w.decodeBody())
                released += 1
                queue.append(w.id)
            }
        }
        return .applied(released: released)
    }

    private mutating func accept(_ entry: Entry, body: Body) {
        entries[entry.id] = entry
        let key = AuthorSeq(author: entry.author, seq: entry.seq)
        bySeq[key, default: []].insert(entry.id)
        if bySeq[key]!.count > 1 { state.markEquivocation(entry.author) }
        state.apply(entry, readable: readableBody(entry, body))
    }

    private func readableBody(_ entry: Entry, _ body: Body) -> Body? {
        guard case .sealed(let envelope) = body else { return body }
        guard let reader else { return nil }
        return envelope.open(with: reader, author: entry.author, seq: entry.seq)
    }

    /// Every entry held, applied or pending: the set the merge is defined on.
    public var allEntries: [Entry] { Array(entries.values) + pending.values.flatMap { $0 } }

    /// Receives every entry another replica holds, pending ones included (state-based merge).
    public mutating func merge(_ other: Replica) {
        for e in other.allEntries.sorted(by: { ($0.author, $0.seq, $0.id) < ($1.author, $1.seq, $1.id) }) { receive(e) }
    }
}

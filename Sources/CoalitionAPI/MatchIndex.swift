import CoalitionCore
import CoalitionMatch
import CoalitionStore
import NIOConcurrencyHelpers

/// The in-memory lookup indexes of the API: every non-retracted PDQ hash (multi-index hashing,
/// exact radius search)
/// and every non-retracted trend (text matcher). They follow the store's change feed, so a
/// signal that arrives by gossip is matchable on the next request. Expiry is checked per match.
final class MatchIndex: Sendable {
    private struct State {
        var cursor: Int64 = -1
        var pdq = PDQMultiIndex<EntryID>()
        var trends: [EntryID: String] = [:]
        var matcher = TrendMatcher<EntryID>()
        /// Retracted terms still in `matcher` (filtered out of results until the next rebuild).
        var deadTerms = 0
    }

    private let store: EntryStore
    private let state = NIOLockedValueBox(State())

    init(store: EntryStore) { self.store = store }

    /// Brings the indexes up to the store's latest entry (a full load the first time).
    func refresh() throws {
        let last = try store.lastLocalSeq()
        let cursor = state.withLockedValue { $0.cursor }
        guard last != cursor else { return }
        if cursor < 0 {
            var pdq = PDQMultiIndex<EntryID>()
            var trends: [EntryID: String] = [:]
            for row in try store.listSignals(kind: .pdq, includeInactive: true, limit: .max) where row.retractedBy == nil {
                if let h = PDQHash(hex: row.signal.value) { pdq.insert(h, for: row.id) }
            }
            for row in try store.listSignals(kind: .trend, includeInactive: true, limit: .max) where row.retractedBy == nil {
                trends[row.id] = row.signal.value
            }
            state.withLockedValue { s in
                s = State(cursor: last, pdq: pdq, trends: trends, matcher: TrendMatcher(terms: trends.lazy.map { ($0.value, $0.key) }))
            }
            return
        }
        var from = cursor
        while true {
            let changes = try store.changes(after: from, limit: 5000)
            for change in changes {
                guard let id = change.signal else { continue }
                switch change.kind {
                case .added:
                    guard let row = try store.signal(id), row.retractedBy == nil else { continue }
                    state.withLockedValue { s in
                        if row.signal.kind == .pdq, let h = PDQHash(hex: row.signal.value) { s.pdq.insert(h, for: id) }
                        if row.signal.kind == .trend, s.trends.updateValue(row.signal.value, forKey: id) == nil {
                            s.matcher.add(row.signal.value, id)  // incremental: no rebuild
                        }
                    }
                case .retracted:
                    let hash = try store.signal(id).flatMap { $0.signal.kind == .pdq ? PDQHash(hex: $0.signal.value) : nil }
                    state.withLockedValue { s in
                        if let hash { s.pdq.remove(hash, for: id) }
                        if s.trends.removeValue(forKey: id) != nil {
                            // The automaton cannot drop a term; it is filtered out of results,
                            // and the automaton is rebuilt once a quarter of its terms are dead.
                            s.deadTerms += 1
                            if s.deadTerms > max(64, s.trends.count / 4) {
                                s.matcher = TrendMatcher(terms: s.trends.lazy.map { ($0.value, $0.key) })
                                s.deadTerms = 0
                            }
                        }
                    }
                default:
                    break
                }
            }
            guard let next = changes.last?.cursor, changes.count == 5000 else { break }
            from = next
        }
        state.withLockedValue { $0.cursor = max($0.cursor, last) }
    }

    /// Stored PDQ signals within `radius` of `hash`.
    func pdq(_ hash: PDQHash, radius: Int) -> [(key: EntryID, distance: Int)] {
        state.withLockedValue { $0.pdq.search(hash, radius: radius) }
    }

    /// Trend signals found in `text`.
    func trends(in text: String) -> [(payload: EntryID, matched: String)] {
        let matcher = state.withLockedValue { $0.matcher }
        let found = matcher.matches(in: text)
        guard !found.isEmpty else { return [] }
        return state.withLockedValue { s in found.filter { s.trends[$0.payload] != nil } }
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionMatch
import CoalitionStore
import Foundation
import NIOPosix

/// "What do we know about X": lookups (exact, PDQ, text), signal views with their provenance,
/// lists, the change feed and local overrides, over one store and its in-memory match indexes.
///
/// The HTTP API, the CLI and the dashboard all ask through this type. Its calls are synchronous
/// and may read SQLite, so callers run them off the event loops. Bad input throws a
/// ``CoalitionError`` whose `field` names what to fix (`items[3].value`, `distance`, …);
/// `notFound`, `tooLarge` and `unavailable` (the indexes are still loading) say so by their codes.
public final class QueryService: Sendable {
    /// Limits of the queries.
    public struct Configuration: Sendable {
        /// Largest PDQ distance a query may ask for.
        public var maxDistance = 64
        public var defaultDistance = 31
        /// Bytes of text one text match may scan.
        public var maxTextBytes = 65_536

        public init() {}
    }

    /// How a lookup compares and what it includes.
    public struct LookupOptions: Sendable {
        public var distance: Int
        public var minQuality: Int?
        public var includeInactive: Bool
    }

    /// Which signals a list shows.
    public struct SignalFilter: Sendable {
        public var kind: SignalKind?
        public var category: String?
        public var origin: PublicKey?
        public var includeInactive = false
        /// Published at or after this instant (ms since the epoch).
        public var since: Int64?
        /// The page after this (publishedAt, ID), from a previous ``SignalList/nextCursor``.
        public var after: (publishedAt: Int64, id: EntryID)?
        public var limit = 100

        public init() {}

        /// A filter from text parameters, each checked and named in the error when wrong.
        /// - Parameters:
        ///   - since: RFC 3339 date-time, or milliseconds since the epoch.
        ///   - cursor: a `nextCursor` of a previous page.
        ///   - maxLimit: the largest page allowed (the API's; the CLI lists everything it is asked).
        public init(kind: String?, category: String?, origin: String?, includeInactive: Bool, since: String?, cursor: String?, limit: Int?,
                    maxLimit: Int = 1000) throws(CoalitionError) {
            if let kind {
                do { self.kind = try SignalKind(name: kind) } catch { throw CoalitionError(error.code, error.message, field: "kind") }
            }
            self.category = category
            if let origin {
                do { self.origin = try MemberID(parsing: origin).publicKey } catch { throw CoalitionError(error.code, error.message, field: "origin") }
            }
            self.includeInactive = includeInactive
            self.limit = limit ?? 100
            guard (1...maxLimit).contains(self.limit) else { throw CoalitionError(.invalidField, "limit must be between 1 and \(maxLimit)", field: "limit") }
            if let s = since {
                if let ms = Int64(s) {
                    self.since = ms
                } else {
                    let f = ISO8601DateFormatter()
                    f.formatOptions = s.contains(".") ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
                    guard let d = f.date(from: s) else {
                        throw CoalitionError(.invalidField, "since is an RFC 3339 date-time or milliseconds since the epoch, got '\(s.prefix(40))'", field: "since")
                    }
                    self.since = Int64((d.timeIntervalSince1970 * 1000).rounded())
                }
            }
            if let c = cursor {
                let parts = c.split(separator: ".")
                guard parts.count == 2, let at = Int64(parts[0]), let id = try? EntryID(hex: String(parts[1])) else {
                    throw CoalitionError(.invalidField, "cursor must be a nextCursor from a previous page", field: "cursor")
                }
                self.after = (at, id)
            }
        }
    }

    public let store: EntryStore
    public let configuration: Configuration
    let overrides: OverrideStore
    let index: MatchIndex
    let overrideCache: OverrideCache
    let labels: AuthorLabels
    public let names: @Sendable (PublicKey) -> String
    /// Lookups and matches counted for the transparency report's local part.
    public let usage = UsageCounter()

    /// - Parameter names: a display name for an author (asked once per author).
    public init(store: EntryStore, names: @escaping @Sendable (PublicKey) -> String, configuration: Configuration = .init()) {
        self.store = store
        self.configuration = configuration
        self.names = names
        self.overrides = OverrideStore(database: store.database)
        self.index = MatchIndex(store: store)
        self.overrideCache = OverrideCache(overrides: overrides)
        self.labels = AuthorLabels(names: names)
    }

    // MARK: indexes

    /// Loads the match indexes (PDQ, exact-lookup filter, trends) now rather than on the first
    /// query.
    /// - Returns: a one-line summary with the counts and the time taken.
    public func loadIndexes() throws -> String {
        guard let r = try index.refresh() else { return "match indexes already loaded" }
        return String(format: "match indexes loaded in %.2f s: %d pdq hashes (with the frames of %d videos), %d indicator keys, %d trends", r.seconds, r.pdq, r.videos, r.exactKeys, r.trends)
    }

    /// Brings the indexes up to date.
    /// - Throws: `unavailable` while another thread runs the first load.
    public func refreshIndexes() throws { try index.refresh() }

    /// Keeps the match indexes up to date in the background until cancelled: every commit the
    /// store's feed announces is applied on `pool`, so requests never apply changes themselves.
    /// A node runs this as a service; without it, each query applies what changed first.
    public func followChanges(on pool: NIOThreadPool = .indexUpdates) async throws {
        try await index.follow(on: pool)
    }

    /// Whether ``followChanges(on:)`` runs now.
    public var isFollowing: Bool { index.isFollowing }

    /// Waits (at most `timeout`) until the match indexes reflect every commit announced so far,
    /// so that a signal just published is found by the publisher's next lookup.
    public func indexesCaughtUp(timeout: Duration = .seconds(2)) async throws {
        try await index.caughtUp(timeout: timeout)
    }

    // MARK: lookups

    /// Checked lookup options; nil values take the defaults.
    public func options(distance: Int? = nil, minQuality: Int? = nil, includeInactive: Bool? = nil) throws(CoalitionError) -> LookupOptions {
        let d = distance ?? configuration.defaultDistance
        guard (0...configuration.maxDistance).contains(d) else {
            throw CoalitionError(.invalidField, "distance must be between 0 and \(configuration.maxDistance), got \(d)", field: "distance")
        }
        if let q = minQuality, !(0...100).contains(q) {
            throw CoalitionError(.invalidField, "minQuality must be between 0 and 100, got \(q)", field: "minQuality")
        }
        return LookupOptions(distance: d, minQuality: minQuality, includeInactive: includeInactive ?? false)
    }

    /// One item on its own (`GET /v1/lookup`, `coalition lookup`); errors name `kind` or `value`.
    public func lookup(_ item: LookupItem, _ o: LookupOptions) throws -> LookupResult {
        let r = try lookupRun([item], first: 0, o, single: true)[0]
        usage.record(CollectionOfOne(r))
        return r
    }

    /// The answer to a lookup when memory alone gives it, without blocking: the value is not
    /// stored (the in-memory filter says so, or no PDQ hash is near) and the overrides snapshot
    /// is fresh. Nil when the store must be read, or while the indexes are not followed in the
    /// background (a request would then apply changes itself); ask ``lookup(_:_:)`` off the
    /// event loops then. Most lookups (uploads checked against hash lists) end here.
    /// - Throws: `CoalitionError` naming the field, as ``lookup(_:_:)`` does.
    public func lookupFromMemory(_ item: LookupItem, _ o: LookupOptions) throws(CoalitionError) -> LookupResult? {
        guard index.isFollowing, index.isLoaded else { return nil }
        switch try value(of: item, field: nil) {
        case .pdq(let hash):
            guard index.pdq(hash, radius: o.distance).isEmpty, let own = overrideCache.cached(kind: .pdq, value: hash.hex) else { return nil }
            usage.record(CollectionOfOne(LookupResult(kind: item.kind, value: item.value, canonical: "", matches: [], override: nil, flagged: false)))
            return result(item, canonical: hash.hex, matches: [], override: own.action?.rawValue, flag: own.action == .flag)
        case .exact(let kind, let canonical):
            guard let own = overrideCache.cached(kind: kind, value: canonical) else { return nil }
            let probe = ExactProbe(kind: kind, canonical: canonical, own: own.override,
                                   mayBeStored: own.action != .ignore && index.mayContain(IndicatorKey(kind: kind, value: canonical)))
            guard !probe.mayBeStored else { return nil }
            let r = exactResult(item, probe, stored: [], o, now: .nowMillis)
            usage.record(CollectionOfOne(r))
            return r
        }
    }

    /// The items of a batch, in order; errors name `items[i].kind` or `items[i].value`. A batch
    /// of at least ``parallelBatch`` items is split over all cores, so one large request (a
    /// backlog sweep) is not limited to one core; smaller batches run on the caller's thread,
    /// since many concurrent requests already keep every core busy and splitting them costs more
    /// than it saves (about a third of the throughput of 100-item batches under load,
    /// measured). The first invalid item (in order) fails the whole batch, as it would one by one.
    public func lookup(batch items: [LookupItem], _ o: LookupOptions) throws -> [LookupResult] {
        let parts = items.count >= Self.parallelBatch ? ProcessInfo.processInfo.activeProcessorCount : 1
        guard parts > 1 else {
            let results = try lookupRun(items[...], first: 0, o)
            usage.record(results)
            return results
        }
        // Once, before splitting: otherwise one part could start the first load of the indexes
        // and the other be told that they are still loading.
        try index.refresh()
        let size = (items.count + parts - 1) / parts
        let runs = Array(stride(from: 0, to: items.count, by: size)).parallelMap(chunkSize: 1) { start in
            Result { try lookupRun(items[start..<min(start + size, items.count)], first: start, o) }
        }
        let results = try runs.flatMap { try $0.get() }
        usage.record(results)
        return results
    }

    /// The batch size from which ``lookup(batch:_:)`` uses all cores.
    public static let parallelBatch = 256

    /// A run of a batch's items (`first` is the index of the first, for error fields), in order.
    /// The exact items that the in-memory filter lets through are read from the store together,
    /// in one transaction, rather than one transaction each.
    func lookupRun(_ items: ArraySlice<LookupItem>, first: Int, _ o: LookupOptions, single: Bool = false) throws -> [LookupResult] {
        // Every item is validated first, in order, so the first invalid one fails the batch
        // before any index is consulted; then the indexes are brought up to date once.
        let values = try items.enumerated().map { slot, item in try value(of: item, field: single ? nil : "items[\(first + slot)]") }
        try index.refresh()
        let now = Int64.nowMillis
        var results = [LookupResult?](repeating: nil, count: items.count)
        var pending: [(slot: Int, probe: ExactProbe)] = []
        for (slot, (item, value)) in zip(items, values).enumerated() {
            switch value {
            case .pdq(let hash):
                results[slot] = try pdqLookup(item, hash, o, now: now)
            case .exact(let kind, let canonical):
                let probe = try probe(kind: kind, canonical: canonical)
                if probe.mayBeStored { pending.append((slot, probe)) } else { results[slot] = exactResult(item, probe, stored: [], o, now: now) }
            }
        }
        let stored = try store.indicators(pending.map { ($0.probe.kind, $0.probe.canonical) })
        for ((slot, probe), rows) in zip(pending, stored) {
            results[slot] = exactResult(items[items.startIndex + slot], probe, stored: rows, o, now: now)
        }
        return results.map { $0! }
    }

    /// What an item asks for, validated: a PDQ hash or an exact kind's canonical value.
    enum LookupValue {
        case pdq(PDQHash)
        case exact(SignalKind, String)
    }

    func value(of item: LookupItem, field: String?) throws(CoalitionError) -> LookupValue {
        let prefix = field.map { $0 + "." } ?? ""
        let (kind, canonical) = try Self.indicator(kind: item.kind, value: item.value, prefix: prefix)
        if kind == .pdq, let hash = PDQHash(hex: canonical) { return .pdq(hash) }
        return .exact(kind, canonical)
    }

    /// The kind and canonical value of a text pair, errors naming `<prefix>kind` or `<prefix>value`.
    static func indicator(kind: String, value: String, prefix: String = "") throws(CoalitionError) -> (SignalKind, String) {
        let k: SignalKind
        do { k = try SignalKind(name: kind) } catch { throw CoalitionError(.invalidField, error.message, field: prefix + "kind") }
        if k == .pdq {
            guard let hash = PDQHash(hex: value) else { throw CoalitionError(.invalidField, "a pdq value is 64 hex characters", field: prefix + "value") }
            return (k, hash.hex)
        }
        do { return (k, try SignalRules.canonicalValue(value, kind: k)) } catch {
            throw CoalitionError(.invalidField, error.message, field: prefix + "value")
        }
    }

    /// The signals within `o.distance` of a PDQ hash; the indexes must be fresh.
    func pdqLookup(_ item: LookupItem, _ hash: PDQHash, _ o: LookupOptions, now: Int64) throws -> LookupResult {
        var matches: [SignalMatch] = []
        var ignored = false
        for hit in index.pdq(hash, radius: o.distance) {
            guard let row = try store.signal(hit.key), o.includeInactive || row.isActive(now: now) else { continue }
            if let min = o.minQuality, (row.signal.quality.map(Int.init) ?? 0) < min { continue }
            // An ignore override on a stored hash hides the signals of that hash.
            if try overrideCache.get(kind: .pdq, value: row.signal.value)?.action == .ignore { ignored = true; continue }
            matches.append(SignalMatch(distance: hit.distance, signal: try view(row)))
        }
        let own = try overrideCache.get(kind: .pdq, value: hash.hex)
        return result(item, canonical: hash.hex, matches: own?.action == .ignore ? [] : matches,
                      override: own?.action.rawValue ?? (ignored ? "ignore" : nil), flag: own?.action == .flag)
    }

    /// An exact item resolved up to the store read.
    struct ExactProbe {
        var kind: SignalKind
        var canonical: String
        /// This node's override of the value.
        var own: LocalOverride?
        /// Whether the store must be read: the in-memory filter answers for values that were
        /// never stored (most lookups) without a database read, and an ignored value needs none.
        var mayBeStored: Bool
    }

    /// The override and the in-memory filter's answer for a canonical value; the indexes must be fresh.
    func probe(kind: SignalKind, canonical: String) throws -> ExactProbe {
        let own = try overrideCache.get(kind: kind, value: canonical)
        let mayBeStored = own?.action != .ignore && index.mayContain(IndicatorKey(kind: kind, value: canonical))
        return ExactProbe(kind: kind, canonical: canonical, own: own, mayBeStored: mayBeStored)
    }

    func exactResult(_ item: LookupItem, _ probe: ExactProbe, stored: [(signal: SignalRow, opinions: [OpinionRow])], _ o: LookupOptions, now: Int64) -> LookupResult {
        let all = stored.map(\.signal)
        let labels = self.labels
        let matches = stored.filter { o.includeInactive || $0.signal.isActive(now: now) }.map { s in
            SignalMatch(distance: nil, signal: SignalView(s.signal, opinions: s.opinions, sources: all, now: now) { author in
                let l = labels.label(of: author)
                return (l.memberID, l.name)
            })
        }
        return result(item, canonical: probe.canonical, matches: matches, override: probe.own?.action.rawValue, flag: probe.own?.action == .flag)
    }

    func result(_ item: LookupItem, canonical: String, matches: [SignalMatch], override: String?, flag: Bool) -> LookupResult {
        LookupResult(kind: item.kind, value: item.value, canonical: canonical, matches: matches, override: override,
                     flagged: flag || matches.contains { $0.signal.status == "active" })
    }

    /// The trend signals found in `text` (case and diacritics folded, whole words).
    public func matchText(_ text: String, includeInactive: Bool = false) throws -> [TextMatch] {
        guard text.utf8.count <= configuration.maxTextBytes else {
            throw CoalitionError(.tooLarge, "text is limited to \(configuration.maxTextBytes) bytes", field: "text")
        }
        try index.refresh()
        let now = Int64.nowMillis
        var seen = Set<EntryID>()
        var out: [TextMatch] = []
        for hit in index.trends(in: text) where seen.insert(hit.payload).inserted {
            guard let row = try store.signal(hit.payload), includeInactive || row.isActive(now: now) else { continue }
            out.append(TextMatch(matched: hit.matched, signal: try view(row)))
        }
        usage.record(out)
        return out
    }

    // MARK: signals

    /// The view of a stored signal, with its opinions and every source of its indicator.
    public func view(_ row: SignalRow) throws -> SignalView {
        try SignalView(row, store: store, name: names)
    }

    /// The view of one signal.
    /// - Throws: `notFound` (field `id`) when this node holds no such signal.
    public func signal(_ id: EntryID) throws -> SignalView {
        guard let row = try store.signal(id) else { throw CoalitionError(.notFound, "no signal \(id.hex)", field: "id") }
        return try view(row)
    }

    /// The view of a signal given by its ID's hex (`coalition show`, `GET /v1/signals/{id}`).
    public func signal(hex: String) throws -> SignalView {
        try signal(try Self.signalID(hex))
    }

    /// A signal ID from its 64 hex characters; the error names `id`.
    public static func signalID(_ hex: String) throws(CoalitionError) -> EntryID {
        do { return try EntryID(hex: hex) } catch {
            throw CoalitionError(.invalidField, "a signal ID is 64 hex characters, got '\(hex.prefix(80))'", field: "id")
        }
    }

    /// The signal named by 64 hex characters or by a unique prefix of at least 8 (`coalition show`).
    /// - Throws: `invalidField` (field `signal`) for a short prefix, `notFound` for none or several.
    public func resolveSignal(_ text: String) throws -> EntryID {
        let hex = text.lowercased()
        if hex.count == 64 { return try Self.signalID(hex) }
        guard hex.count >= 8 else { throw CoalitionError(.invalidField, "give at least 8 hex characters", field: "signal") }
        let matches = try store.listSignals(includeInactive: true, limit: 1_000_000).filter { $0.id.hex.hasPrefix(hex) }
        guard matches.count == 1 else {
            throw CoalitionError(.notFound, matches.isEmpty ? "no signal starts with \(text)" : "\(text) matches \(matches.count) signals; give more characters", field: "signal")
        }
        return matches[0].id
    }

    /// One page of signals, newest first.
    public func list(_ filter: SignalFilter) throws -> SignalList {
        let rows = try store.listSignals(kind: filter.kind, category: filter.category, author: filter.origin,
                                         includeInactive: filter.includeInactive, since: filter.since, after: filter.after, limit: filter.limit)
        let next = rows.count == filter.limit ? rows.last.map { "\($0.publishedAt).\($0.id.hex)" } : nil
        return SignalList(signals: try rows.map(view), nextCursor: next)
    }

    // MARK: change feed

    /// The changes after `cursor`, at most `limit` records. A restricted (sealed) signal that
    /// this node can read also yields a `readable` change at the same cursor, so mirrors learn
    /// that a restricted signal addressed to this platform is available.
    public func changes(after cursor: Int64, limit: Int = 100) throws -> ChangeFeed {
        guard cursor >= 0 else { throw CoalitionError(.invalidField, "after must be 0 or a cursor from a previous answer", field: "after") }
        guard (1...1000).contains(limit) else { throw CoalitionError(.invalidField, "limit must be between 1 and 1000", field: "limit") }
        let (records, next) = try store.feed.read(after: cursor, limit: limit)
        var out: [ChangeView] = []
        for r in records {
            let view = ChangeView(cursor: r.cursor, kind: r.kind.rawValue, signal: r.signal?.hex, entry: r.entry.hex, at: SignalView.time(r.at))
            out.append(view)
            if r.kind == .added, r.restricted {
                var readable = view
                readable.kind = "readable"
                out.append(readable)
            }
        }
        return ChangeFeed(changes: out, nextCursor: next)
    }

    /// Waits until a change after `cursor` is committed, or `timeout` passes (the pushed feed:
    /// no polling).
    /// - Returns: whether one was.
    @discardableResult
    public func waitForChanges(after cursor: Int64, timeout: Duration) async -> Bool {
        await store.feed.wait(after: cursor, timeout: timeout)
    }

    // MARK: overrides

    /// This node's local overrides.
    public func overrideList() throws -> [LocalOverride] { try overrides.list() }

    /// Sets the override of an indicator; errors name `kind`, `value`, `action` or `note`.
    public func setOverride(kind: String, value: String, action: String, note: String?) throws -> LocalOverride {
        let (k, v) = try Self.indicator(kind: kind, value: value)
        guard let a = LocalOverride.Action(rawValue: action) else {
            throw CoalitionError(.invalidField, "action is 'ignore' or 'flag', got '\(action.prefix(40))'", field: "action")
        }
        defer { overrideCache.invalidate() }
        return try overrides.set(kind: k, value: v, action: a, note: note)
    }

    /// Removes the override of an indicator.
    /// - Throws: `notFound` (field `value`) when there is none.
    public func removeOverride(kind: String, value: String) throws {
        let (k, v) = try Self.indicator(kind: kind, value: value)
        defer { overrideCache.invalidate() }
        guard try overrides.remove(kind: k, value: v) else { throw CoalitionError(.notFound, "no override for \(k.name) \(v)", field: "value") }
    }
}

extension NIOThreadPool {
    /// The thread on which ``QueryService/followChanges(on:)`` applies commits to the match
    /// indexes: its own, so that it never queues behind the gossip commits on `.singleton`.
    public static let indexUpdates: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
}

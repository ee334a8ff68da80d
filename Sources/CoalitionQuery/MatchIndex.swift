import CoalitionCore
import CoalitionMatch
import CoalitionMedia
import CoalitionStore
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Synchronization

/// The in-memory lookup indexes of the query layer:
/// - every non-retracted PDQ hash (multi-index hashing, exact radius search), and every frame of
///   quality at least ``videoFrameQuality`` of each non-retracted `vpdq` signal, under that
///   video signal's ID (so a frame of an upload finds the videos that contain it);
/// - the indicator key of every stored signal (a filter that answers "unknown" for exact kinds
///   without a database read; known ones are then read from the store);
/// - every non-retracted trend (the text matcher).
///
/// They follow the store's ``CommitFeed`` (from memory, without reading the signals back), so a
/// signal that arrives by gossip or is published is matchable on the next request. The first load streams the store once (no row objects) and
/// builds the PDQ index in bulk on all cores. Searches share a readers–writer lock, so lookups
/// run on every core at once. Expiry is checked per match.
final class MatchIndex: Sendable {
    private struct State {
        var cursor: Int64 = -1
        var pdq = PDQMultiIndex<EntryID>()
        /// The `vpdq` signals whose frames are in `pdq`.
        var videos = Set<EntryID>()
        var exact = ExactKeySet()
        var trends: [EntryID: String] = [:]
        var matcher = TrendMatcher<EntryID>()
        /// Retracted terms still in `matcher` (filtered out of results until the next rebuild).
        var deadTerms = 0
    }

    /// What the first load found, and how long it took.
    struct LoadReport: Sendable {
        var pdq = 0, exactKeys = 0, trends = 0, videos = 0
        var seconds = 0.0
    }

    private let store: EntryStore
    private let state = ReadWriteLock(State())
    /// Serialises loading and applying changes (searches only take the read lock meanwhile).
    private let updating = NIOLock()
    /// The store's commit count and the time when the indexes were last brought up to date: a
    /// request skips the database check when nothing was committed in this process since, and
    /// the last check is under a millisecond old (writes by other processes, such as the CLI,
    /// are seen within that millisecond).
    private let checked = NIOLockedValueBox((commits: UInt64.max, at: 0.0))
    private let loaded = NIOLockedValueBox(false)
    private let loading = NIOLockedValueBox(false)
    /// Whether ``follow(on:)`` runs, so that requests need not apply changes themselves.
    private let following = Atomic<Bool>(false)

    init(store: EntryStore) { self.store = store }

    /// The signal kind of a video's vPDQ hash.
    static let videoKind = SignalKind.other("vpdq")
    /// The smallest quality of a video frame that is indexed: the vPDQ rule's default, below
    /// which a frame (a black or flat one) says nothing about the video.
    static let videoFrameQuality = VPDQHash.MatchRule().minQuality

    /// The distinct indexable frame hashes of a `vpdq` value (none if it does not parse).
    static func videoFrames(_ value: String) -> [PDQHash] {
        guard let video = VPDQHash(value: value) else { return [] }
        var seen = Set<PDQHash>()
        return video.frames.filter { $0.quality >= videoFrameQuality && seen.insert($0.hash).inserted }.map(\.hash)
    }

    /// Whether the first load has finished.
    var isLoaded: Bool { loaded.withLockedValue { $0 } }
    /// Whether the first load is running now.
    var isLoading: Bool { loading.withLockedValue { $0 } }

    /// Brings the indexes up to the store's latest entry (the full load the first time).
    ///
    /// While ``follow()`` runs (in a node), a request only loads the indexes if nothing has yet:
    /// the follower applies every commit in the background, so lookups never wait for a batch
    /// of changes to be applied, nor for the database. Without a follower (the CLI, unit tests)
    /// the request applies what changed itself.
    /// - Throws: `unavailable` while another thread runs the first load.
    @discardableResult
    func refresh() throws -> LoadReport? {
        if !isLoaded, isLoading {
            // Requests during the start-up load are answered at once rather than held for seconds
            // on the server's few threads.
            throw CoalitionError(.unavailable, "the match indexes are still loading; retry shortly")
        }
        if isLoaded, following.load(ordering: .relaxed) { return nil }
        let commits = store.commitCount
        let started = Self.seconds()
        if checked.withLockedValue({ $0.commits == commits && started - $0.at < 0.001 }) { return nil }
        let report = try update()
        checked.withLockedValue { $0 = (commits, started) }
        return report
    }

    /// Loads the indexes if they are not yet, otherwise applies the changes since their cursor.
    private func update() throws -> LoadReport? {
        try updating.withLock { () throws -> LoadReport? in
            if !isLoaded {
                loading.withLockedValue { $0 = true }
                defer { loading.withLockedValue { $0 = false } }
                let report = try load()
                loaded.withLockedValue { $0 = true }
                return report
            }
            try applyChanges()
            return nil
        }
    }

    /// Applies every commit to the indexes as the store's feed announces it, on `pool`, until
    /// the task is cancelled. Loads the indexes first if no one has yet.
    func follow(on pool: NIOThreadPool) async throws {
        following.store(true, ordering: .relaxed)
        defer { following.store(false, ordering: .relaxed) }
        while !Task.isCancelled {
            try await pool.runIfActive { [self] in _ = try update() }
            // Woken by this process's commits at once; the timeout is how soon a write by another
            // process (the CLI) is noticed: each update first checks the table for one.
            _ = await store.feed.wait(after: cursor, timeout: Self.foreignWritePoll)
        }
    }

    /// How often ``follow(on:)`` checks the database for commits of other processes when this
    /// one commits nothing (one indexed read each time).
    static let foreignWritePoll: Duration = .milliseconds(20)

    /// Whether ``follow(on:)`` runs now.
    var isFollowing: Bool { following.load(ordering: .relaxed) }

    /// The feed position the indexes reflect.
    var cursor: Int64 { state.read { $0.cursor } }

    /// Waits until the indexes reflect every commit the feed has announced so far (at most
    /// `timeout`): after a publish, so that the publisher's next lookup finds the signal.
    func caughtUp(timeout: Duration) async throws {
        guard following.load(ordering: .relaxed) else { return }
        let target = store.feed.through
        let deadline = ContinuousClock.now + timeout
        while cursor < target, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    private static func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The first load: one streaming pass per index, then a bulk build of the PDQ index.
    private func load() throws -> LoadReport {
        let started = Self.seconds()
        // Changes committed during the load are applied afterwards from this cursor (applying
        // one twice is harmless: every index ignores a repeated insertion).
        let cursor = try store.lastLocalSeq()
        // Sized once for every entry stored (signals are at most that many), so the set never
        // doubles (and briefly holds two tables) while it loads.
        var exact = ExactKeySet(capacity: Int(cursor))
        try store.forEachIndicatorKey { exact.insert(UInt64(bitPattern: $0)) }
        var hashes: [PDQHash] = [], ids: [EntryID] = []
        var trends: [EntryID: String] = [:]
        var videos = Set<EntryID>()
        try store.forEachLiveSignal(kinds: [.pdq, .trend, Self.videoKind]) { id, kind, value in
            if kind == .trend {
                trends[id] = value
            } else if kind == Self.videoKind {
                let frames = Self.videoFrames(value)
                guard !frames.isEmpty else { return }
                videos.insert(id)
                hashes.append(contentsOf: frames)
                ids.append(contentsOf: repeatElement(id, count: frames.count))
            } else if let h = PDQHash(hex: value) {
                hashes.append(h)
                ids.append(id)
            }
        }
        let pdq = PDQMultiIndex(hashes: hashes, keys: ids)
        let matcher = TrendMatcher(terms: trends.lazy.map { ($0.value, $0.key) })
        state.write { $0 = State(cursor: cursor, pdq: pdq, videos: videos, exact: exact, trends: trends, matcher: matcher) }
        try applyChanges()
        return LoadReport(pdq: pdq.count, exactKeys: exact.count, trends: trends.count, videos: videos.count, seconds: Self.seconds() - started)
    }

    /// Applies the change feed after the indexes' cursor (noticing another process's writes first).
    private func applyChanges() throws {
        let last = try store.feed.catchUp()
        var from = state.read { $0.cursor }
        guard last > from else { return }
        while from < last {
            let (changes, next) = try store.feed.read(after: from, limit: 5000)
            for change in changes {
                guard let id = change.signal, change.kind == .added || change.kind == .retracted,
                      let kind = change.signalKind, let value = change.value else { continue }
                let key = kind == .pdq ? PDQHash(hex: value) : nil
                let frames = kind == Self.videoKind ? Self.videoFrames(value) : []
                let indicator = change.kind == .added ? UInt64(bitPattern: IndicatorKey(kind: kind, value: value).storageKey) : 0
                state.write { s in
                    if change.kind == .added {
                        s.exact.insert(indicator)
                        guard change.live else { return }
                        if let key { s.pdq.insert(key, for: id) }
                        if !frames.isEmpty, s.videos.insert(id).inserted {
                            for frame in frames { s.pdq.insert(frame, for: id) }
                        }
                        if kind == .trend, s.trends.updateValue(value, forKey: id) == nil {
                            s.matcher.add(value, id)  // incremental: no rebuild
                        }
                        return
                    }
                    if let key { s.pdq.remove(key, for: id) }
                    if s.videos.remove(id) != nil {
                        for frame in frames { s.pdq.remove(frame, for: id) }
                    }
                    if s.trends.removeValue(forKey: id) != nil {
                        // The automaton cannot drop a term; it is filtered out of results, and
                        // the automaton is rebuilt once a quarter of its terms are dead.
                        s.deadTerms += 1
                        if s.deadTerms > max(64, s.trends.count / 4) {
                            s.matcher = TrendMatcher(terms: s.trends.lazy.map { ($0.value, $0.key) })
                            s.deadTerms = 0
                        }
                    }
                }
            }
            guard next > from else { break }
            from = next
            state.write { $0.cursor = max($0.cursor, next) }
        }
    }

    /// Stored PDQ signals within `radius` of `hash`, and the video signals with a frame within
    /// it (once each, at their nearest frame's distance), nearest first.
    func pdq(_ hash: PDQHash, radius: Int) -> [(key: EntryID, distance: Int)] {
        let hits = state.read { $0.pdq.search(hash, radius: radius) }
        var seen = Set<EntryID>()
        return hits.filter { seen.insert($0.key).inserted }  // nearest first, so the first is the best
    }

    /// The video signals with at least one frame within `radius` of one of `frames`.
    func videos(near frames: [PDQHash], radius: Int) -> Set<EntryID> {
        state.read { s in
            var found = Set<EntryID>()
            for frame in frames {
                for hit in s.pdq.search(frame, radius: radius) where s.videos.contains(hit.key) { found.insert(hit.key) }
            }
            return found
        }
    }

    /// Whether a signal of this indicator may be stored: false means certainly not.
    func mayContain(_ indicator: IndicatorKey) -> Bool {
        let key = UInt64(bitPattern: indicator.storageKey)
        return state.read { $0.exact.contains(key) }
    }

    /// Trend signals found in `text`.
    func trends(in text: String) -> [(payload: EntryID, matched: String)] {
        let matcher = state.read { $0.matcher }
        let found = matcher.matches(in: text)
        guard !found.isEmpty else { return [] }
        return state.read { s in found.filter { s.trends[$0.payload] != nil } }
    }
}

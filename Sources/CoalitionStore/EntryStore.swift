import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB
import Logging
import Synchronization

/// The node's repository: verifies, stores and merges entries, and answers queries about the
/// merged state. Thread-safe; writes are serialised by SQLite (also across processes, so the
/// CLI can publish while the daemon runs).
public final class EntryStore: Sendable {
    /// The database.
    public let database: AppDatabase
    /// The key sealed entries are opened with (this node's member key), if any.
    public let reader: Signer?
    let logger: Logger
    private let commits = Atomic<UInt64>(0)
    /// Lookups' own read connections, when the store is a file (not an in-memory test store).
    private let indicatorReader: IndicatorReader?
    /// What each commit changed, pushed to subscribers (see ``CommitFeed``).
    public let feed: CommitFeed

    /// - Parameters:
    ///   - reader: this node's key; sealed entries addressed to it are decrypted and applied.
    ///   - feedCapacity: changes the ``feed`` keeps in memory for subscribers.
    public init(database: AppDatabase, reader: Signer?, logger: Logger = Logger(label: "coalition.store"), feedCapacity: Int = 65_536) {
        self.database = database
        self.reader = reader
        self.logger = logger
        self.indicatorReader = (database.writer as? DatabasePool).map { IndicatorReader(path: $0.path) }
        let last = (try? database.writer.read { db in try Int64.fetchOne(db, sql: "SELECT max(localSeq) FROM entry") }) ?? nil
        self.feed = CommitFeed(through: last ?? 0, capacity: feedCapacity) { [database] cursor, limit in
            try database.writer.read { db in try Self.changePage(db, after: cursor, limit: limit) }
        }
    }

    /// How many write transactions this store object has committed (or tried to): a cheap way
    /// for in-process readers, such as the API's match indexes, to notice that something may
    /// have changed. Writes by other processes are not counted.
    public var commitCount: UInt64 { commits.load(ordering: .acquiring) }

    // MARK: - Writing

    /// Verifies a batch (signatures and bodies, on all cores) and stores it in one transaction.
    ///
    /// The write is atomic: either every accepted entry of the batch is stored with its effects,
    /// or (on an error, or for an atomic policy with an invalid entry) none is. Entries whose
    /// predecessor is missing are kept as pending and applied once it arrives.
    public func ingest(_ entries: [Entry], policy: IngestPolicy = .acceptAll, now: Int64 = .nowMillis) throws -> IngestReport {
        try write(prepare(entries).items, policy: policy, now: now, bulk: nil)
    }

    /// Decodes raw entry bytes and ingests them; undecodable items are rejected by index.
    public func ingest(encoded: [[UInt8]], policy: IngestPolicy = .acceptAll, now: Int64 = .nowMillis) throws -> IngestReport {
        try write(prepare(encoded: encoded).items, policy: policy, now: now, bulk: nil)
    }

    /// A batch whose intrinsic checks (signature, body, decryption) are done: the CPU-heavy half
    /// of ingest. Preparing the next batch while the previous one commits keeps every core busy.
    public struct PreparedBatch: Sendable {
        fileprivate let items: [Result<VerifiedEntry, CoalitionError>]
        /// Entries in the batch.
        public var count: Int { items.count }

        /// One batch of the entries of `batches`, in order.
        public init(joining batches: [PreparedBatch]) {
            items = batches.flatMap(\.items)
        }

        fileprivate init(items: [Result<VerifiedEntry, CoalitionError>]) {
            self.items = items
        }
    }

    /// Verifies entries on all cores without touching the database.
    public func prepare(_ entries: [Entry]) -> PreparedBatch {
        prepare(entries) { $0 }
    }

    /// Decodes and verifies raw entries on all cores without touching the database.
    public func prepare(encoded: [[UInt8]]) -> PreparedBatch {
        prepare(encoded) { bytes throws(CoalitionError) in try Entry(decoding: bytes) }
    }

    /// Decodes items of any form into entries and verifies them, all on all cores, without
    /// touching the database. An item `decode` refuses is rejected with its error.
    public func prepare<Item: Sendable>(_ items: [Item], decode: @Sendable (Item) throws(CoalitionError) -> Entry) -> PreparedBatch {
        let reader = self.reader
        return PreparedBatch(items: items.parallelMap { item in
            do throws(CoalitionError) {
                let e = try decode(item)
                return .success(VerifiedEntry(entry: e, body: try e.validateIntrinsic(), reader: reader))
            } catch { return .failure(error) }
        })
    }

    /// Stores a prepared batch in one transaction (see ``ingest(_:policy:now:)``).
    public func commit(_ batch: PreparedBatch, policy: IngestPolicy = .acceptAll, now: Int64 = .nowMillis) throws -> IngestReport {
        try write(batch.items, policy: policy, now: now, bulk: nil)
    }

    /// Starts a bulk load: the fast path for filling an empty store (a new node bootstrapping
    /// from a peer, or a restore). The randomly keyed secondary indexes of `entry` and `opinion`
    /// are dropped and rebuilt once by ``BulkLoad/finish()``; meanwhile lookups use in-memory
    /// maps. Validity, merge rules and atomicity per batch are exactly those of
    /// ``commit(_:policy:now:)``.
    /// - Parameter expectedEntries: how many entries the load will probably store; its maps are
    ///   sized for them at once instead of being rehashed as they grow.
    /// - Throws: `CoalitionError(.forbidden)` when the store already holds entries.
    public func beginBulkLoad(expectedEntries: Int = 0) throws -> BulkLoad {
        try database.writer.write { db in
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry") == 0 else {
                throw CoalitionError(.forbidden, "a bulk load needs an empty store")
            }
            try db.execute(sql: AppDatabase.dropBulkLoadIndexesSQL)
        }
        let load = BulkLoad(store: self)
        load.state.reserve(additional: expectedEntries)
        return load
    }

    /// A bulk load in progress; see ``EntryStore/beginBulkLoad()``. Use it from one task at a time.
    ///
    /// The load ends itself, rebuilding the indexes, when another writer (the CLI, an API
    /// publish) adds entries meanwhile, or when a batch fails with a database error: its maps
    /// would no longer match the table. That batch and all later ones then take the normal path.
    public final class BulkLoad: Sendable {
        let store: EntryStore
        let state = BulkLoadState()

        init(store: EntryStore) { self.store = store }

        /// Whether batches still take the bulk path (not finished, not ended by another writer or an error).
        public var isActive: Bool { !state.finished && !state.failed }

        /// Stores a prepared batch in one transaction, on the bulk path while the load is active.
        public func commit(_ batch: PreparedBatch, policy: IngestPolicy = .acceptAll, now: Int64 = .nowMillis) throws -> IngestReport {
            guard isActive else {
                try finish()
                return try store.commit(batch, policy: policy, now: now)
            }
            state.reserve(additional: batch.count)
            do {
                return try store.write(batch.items, policy: policy, now: now, bulk: state)
            } catch is ConcurrentWrite {
                store.logger.notice("another writer changed the store during a bulk load; rebuilding the indexes and continuing on the normal path")
                try finish()
                return try store.commit(batch, policy: policy, now: now)
            } catch {
                // The database may have failed after the maps were updated; stop trusting them.
                state.failed = true
                throw error
            }
        }

        /// Builds the dropped indexes now, but keeps the load's maps: later batches are written
        /// with the indexes (as on the normal path) while their lookups still go to the maps,
        /// which cost less than the index probes. For a caller that knows more entries follow at
        /// once, such as ``IngestPipeline``, which verifies them meanwhile; call ``finish()`` after them.
        public func buildIndexes() throws {
            guard isActive, !state.indexed else { return }
            try store.database.writer.write { db in try db.execute(sql: AppDatabase.bulkLoadIndexesSQL) }
            state.indexed = true
        }

        /// Rebuilds the indexes (unless ``buildIndexes()`` did) and drops the maps; later batches
        /// take the normal path.
        public func finish() throws {
            guard !state.finished else { return }
            if !state.indexed {
                try store.database.writer.write { db in try db.execute(sql: AppDatabase.bulkLoadIndexesSQL) }
            }
            state.finished = true
            state.release()
        }
    }

    /// Thrown inside a bulk-load transaction that finds rows the load did not write.
    private struct ConcurrentWrite: Error {}

    private func write(_ checked: [Result<VerifiedEntry, CoalitionError>], policy: IngestPolicy, now: Int64,
                       bulk: BulkLoadState?) throws -> IngestReport {
        var early: [IngestReport.Rejection] = []
        for (i, r) in checked.enumerated() {
            switch r {
            case .failure(let error):
                early.append(.init(index: i, code: error.code, message: error.description))
            case .success(let v):
                if let accepted = policy.acceptedAuthors, !accepted.contains(v.entry.author) {
                    early.append(.init(index: i, code: .forbidden, message: "author \(MemberID(publicKey: v.entry.author).short) is not an accepted member"))
                }
            }
        }
        if policy.atomic && !early.isEmpty {
            var report = IngestReport()
            report.rejected = early
            report.rolledBack = true
            logRejections(report)
            return report
        }
        let refused = Set(early.map(\.index))
        let reader = self.reader
        var report: IngestReport
        do {
            report = try database.writer.write { db in
                func run() throws -> IngestReport {
                    if let bulk, (try Int64.fetchOne(db, sql: "SELECT max(localSeq) FROM entry") ?? 0) != bulk.lastRow {
                        throw ConcurrentWrite()
                    }
                    let writer = try IngestWriter(db: db, reader: reader, now: now, bulk: bulk)
                    for (i, r) in checked.enumerated() where !refused.contains(i) {
                        guard case .success(let v) = r else { continue }
                        if try !writer.write(v, index: i), policy.atomic { throw AtomicBatchRejected(report: writer.report) }
                    }
                    try writer.finish()
                    return writer.report
                }
                return try bulk.map { try $0.transaction(run) } ?? run()
            }
        } catch let rollback as AtomicBatchRejected {
            report = IngestReport()
            report.rejected = rollback.report.rejected
            report.rolledBack = true
        }
        commits.add(1, ordering: .releasing)
        if let rows = report.rows { feed.publish(after: rows.lowerBound - 1, through: rows.upperBound, changes: report.changes) }
        report.rejected = (early + report.rejected).sorted { $0.index < $1.index }
        logRejections(report)
        if report.applied > 0 {
            logger.debug("ingested entries", metadata: ["entries.applied": "\(report.applied)", "entries.pending": "\(report.pending)"])
        }
        return report
    }

    private func logRejections(_ report: IngestReport) {
        for r in report.rejected.prefix(20) {
            logger.info("entry rejected", metadata: ["batch.index": "\(r.index)", "reason.code": "\(r.code)", "reason": "\(r.message)"])
        }
    }

    /// What a local author wants to append.
    public enum Draft: Sendable {
        /// A plaintext body.
        case plain(Body)
        /// A body encrypted to `recipients` (the author is added automatically).
        case sealed(Body, recipients: [PublicKey])
    }

    /// Signs and appends entries to `signer`'s own chain, in one transaction: the head is read
    /// and extended under the write lock, so concurrent publishers never fork the chain.
    /// - Throws: `CoalitionError` (`forbidden` when the chain was closed by a key rotation).
    @discardableResult
    public func append(_ drafts: [Draft], by signer: Signer, now: Int64 = .nowMillis) throws -> [Entry] {
        let reader = self.reader
        defer { commits.add(1, ordering: .releasing) }
        let (entries, report) = try database.writer.write { db -> ([Entry], IngestReport) in
            let author = signer.publicKey
            var seq: UInt64 = 0
            var prev = EntryID.zero
            var lastTimestamp: Int64 = 0
            if let headID = try Data.fetchOne(db, sql: "SELECT headID FROM author WHERE key = ?", arguments: [author.data]).map({ try EntryID(bytes: $0) }),
               let row = try Row.fetchOne(db, sql: "SELECT seq, id, timestamp, bodyType FROM entry WHERE idKey = ? AND id = ?",
                                          arguments: [headID.storageKey, headID.data]) {
                seq = UInt64(row["seq"] as Int64)
                prev = try EntryID(bytes: row["id"] as Data)
                lastTimestamp = row["timestamp"]
                if UInt16(row["bodyType"] as Int) == BodyType.keyRotation {
                    throw CoalitionError(.forbidden, "this member key was rotated; sign with the successor key")
                }
            }
            let writer = try IngestWriter(db: db, reader: reader, now: now)
            var out: [Entry] = []
            for (i, draft) in drafts.enumerated() {
                seq += 1
                let body: Body
                switch draft {
                case .plain(let b): body = b
                case .sealed(let inner, let recipients):
                    body = .sealed(try SealedEnvelope.seal(inner, author: author, seq: seq, recipients: recipients))
                }
                let entry = try Entry.sign(by: signer, seq: seq, prev: prev, timestamp: max(now, lastTimestamp), body: body)
                let decoded = try entry.decodeBody()  // self-check: never store what we could not read back
                guard try writer.write(VerifiedEntry(entry: entry, body: decoded, reader: reader), index: i) else {
                    throw CoalitionError(.brokenChain, writer.firstFailure?.message ?? "the entry did not link to the chain head")
                }
                prev = entry.id
                lastTimestamp = entry.timestamp
                out.append(entry)
            }
            try writer.finish()
            return (out, writer.report)
        }
        if let rows = report.rows { feed.publish(after: rows.lowerBound - 1, through: rows.upperBound, changes: report.changes) }
        return entries
    }

    // MARK: - Reading

    /// One signal by ID.
    public func signal(_ id: EntryID) throws -> SignalRow? {
        try database.writer.read { db in
            try db.row("SELECT \(SignalRow.columns) FROM signal WHERE idKey = ? AND id = ?", [id.storageKey, id.data]).map(SignalRow.init)
        }
    }

    /// Every signal of an indicator (kind, canonical value), active or not, sorted by ID.
    public func signals(kind: SignalKind, value: String) throws -> [SignalRow] {
        try database.writer.read { db in
            try db.rows("SELECT \(SignalRow.columns) FROM signal WHERE indicatorKey = ? AND kind = ? AND value = ? ORDER BY id",
                        [IndicatorKey(kind: kind, value: value).storageKey, kind.name, value]).map(SignalRow.init)
        }
    }

    /// Every signal of an indicator (kind, canonical value), active or not, sorted by ID, each
    /// with the winning opinions on it sorted by author: what a lookup that matched shows.
    ///
    /// One read transaction, so the signals and opinions are one consistent state. On a database
    /// file this goes through ``IndicatorReader`` (the API's hot path for stored values).
    public func indicator(kind: SignalKind, value: String) throws -> [(signal: SignalRow, opinions: [OpinionRow])] {
        try indicators([(kind, value)])[0]
    }

    /// ``indicator(kind:value:)`` for several keys at once, read from one snapshot (a lookup
    /// batch's hits in one transaction). The answer has one element per key, in order.
    public func indicators(_ keys: [(kind: SignalKind, value: String)]) throws -> [[(signal: SignalRow, opinions: [OpinionRow])]] {
        if let indicatorReader { return try indicatorReader.indicators(keys) }
        return try database.writer.read { db in
            try keys.map { kind, value in
                let signals = try db.rows("SELECT \(SignalRow.columns) FROM signal WHERE indicatorKey = ? AND kind = ? AND value = ? ORDER BY id",
                                          [IndicatorKey(kind: kind, value: value).storageKey, kind.name, value]).map(SignalRow.init)
                return try signals.map { ($0, try Self.opinions(on: $0.id, in: db)) }
            }
        }
    }

    /// A filtered page of signals, newest first.
    /// - Parameters:
    ///   - since: only signals published at or after this time (ms since the epoch).
    ///   - after: the last row of the previous page (its `publishedAt` and ID): the page continues
    ///     after it in the same order.
    public func listSignals(kind: SignalKind? = nil, category: String? = nil, author: PublicKey? = nil,
                            includeInactive: Bool = false, since: Int64? = nil, after: (publishedAt: Int64, id: EntryID)? = nil,
                            now: Int64 = .nowMillis, limit: Int = 100) throws -> [SignalRow] {
        var clauses: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let since { clauses.append("publishedAt >= ?"); args.append(since) }
        if let after {
            clauses.append("(publishedAt < ? OR (publishedAt = ? AND id > ?))")
            args.append(after.publishedAt); args.append(after.publishedAt); args.append(after.id.data)
        }
        if let kind { clauses.append("kind = ?"); args.append(kind.name) }
        if let category { clauses.append("(category = ? OR category LIKE ?)"); args.append(category); args.append(category + "/%") }
        if let author { clauses.append("author = ?"); args.append(author.data) }
        if !includeInactive { clauses.append(SignalRow.activeCondition); args.append(now) }
        let whereSQL = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        args.append(limit)
        return try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT \(SignalRow.columns) FROM signal \(whereSQL) ORDER BY publishedAt DESC, id LIMIT ?",
                             arguments: StatementArguments(args)).map(SignalRow.init)
        }
    }

    /// The winning opinions on a signal, sorted by author.
    public func opinions(on target: EntryID) throws -> [OpinionRow] {
        try database.writer.read { db in try Self.opinions(on: target, in: db) }
    }

    private static func opinions(on target: EntryID, in db: Database) throws -> [OpinionRow] {
        try db.rows("SELECT * FROM opinion WHERE target = ? ORDER BY author", [target.data]).map { row in
            OpinionRow(author: try PublicKey(bytes: row["author"] as Data), target: target,
                       entry: try EntryID(bytes: row["entry"] as Data), seq: UInt64(row["seq"] as Int64),
                       stance: Opinion.Stance(rawValue: UInt8(row["stance"] as Int)) ?? .seen,
                       note: row["note"], timestamp: row["timestamp"])
        }
    }

    /// The aggregate verdict of a signal.
    public func verdict(of target: EntryID) throws -> Verdict {
        let ops = try opinions(on: target)
        return Verdict(confirms: ops.count { $0.stance == .confirm }, disputes: ops.count { $0.stance == .dispute })
    }

    /// One stored entry.
    public func entry(_ id: EntryID) throws -> Entry? {
        try database.writer.read { db in
            try (Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE idKey = ? AND id = ?", arguments: [id.storageKey, id.data])).map { try Entry(decoding: [UInt8]($0)) }
        }
    }

    /// Entries in local arrival order after `localSeq` (a topological order: predecessors first).
    /// Returns `(localSeq, bytes)` pairs.
    public func entries(after localSeq: Int64 = 0, limit: Int = 1000) throws -> [(Int64, [UInt8])] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT localSeq, bytes FROM entry WHERE localSeq > ? ORDER BY localSeq LIMIT ?",
                             arguments: [localSeq, limit]).map { ($0["localSeq"], [UInt8]($0["bytes"] as Data)) }
        }
    }

    /// Author and seq of the entries after `localSeq`, in arrival order, without their bytes:
    /// enough to decide whether anyone needs them.
    public func entryHeaders(after localSeq: Int64, limit: Int = 1000) throws -> [(localSeq: Int64, author: PublicKey, seq: UInt64)] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT localSeq, author, seq FROM entry WHERE localSeq > ? ORDER BY localSeq LIMIT ?",
                             arguments: [localSeq, limit]).map { ($0["localSeq"], try PublicKey(bytes: $0["author"] as Data), UInt64($0["seq"] as Int64)) }
        }
    }

    /// The head of every known author.
    public func heads() throws -> [AuthorHead] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM author ORDER BY key").map { row in
                AuthorHead(author: try PublicKey(bytes: row["key"] as Data), seq: UInt64(row["headSeq"] as Int64),
                           id: try EntryID(bytes: row["headID"] as Data), entryCount: row["entryCount"],
                           equivocating: row["equivocating"])
            }
        }
    }

    /// The entries of `author` with `from ≤ seq ≤ to`, every branch of a fork included, in seq
    /// order; at most `limit` of them. Used to answer a peer's sync and range requests.
    public func entries(of author: PublicKey, from: UInt64, to: UInt64, limit: Int = 1000) throws -> [(seq: UInt64, bytes: [UInt8])] {
        try database.writer.read { db in
            // Bound and read directly: a bootstrap serves every stored entry through here, and
            // GRDB rows would copy each entry's bytes twice (into `Data`, then into an array).
            let st = try RawStatement(db, "SELECT seq, bytes FROM entry WHERE author = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq, localSeq LIMIT ?4")
            st.bind(1, author.bytes); st.bind(2, Int64(clamping: from)); st.bind(3, Int64(clamping: to)); st.bind(4, limit)
            var rows: [(seq: UInt64, bytes: [UInt8])] = []
            rows.reserveCapacity(Swift.min(limit, 4096))
            try st.forEach { rows.append((UInt64($0.int64(0)), $0.blob(1))) }
            return rows
        }
    }

    /// The IDs of the entries of `author` at `seq` (more than one only if the author forked).
    public func entryIDs(of author: PublicKey, seq: UInt64) throws -> [EntryID] {
        try database.writer.read { db in
            try Data.fetchAll(db, sql: "SELECT id FROM entry WHERE author = ? AND seq = ?", arguments: [author.data, Int64(clamping: seq)])
                .map { try EntryID(bytes: $0) }
        }
    }

    /// The number of entries held as pending for `author`.
    public func pendingCount(of author: PublicKey) throws -> Int {
        try database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending WHERE author = ?", arguments: [author.data]) ?? 0
        }
    }

    /// Drops the highest pending entries of `author` beyond `keep`; returns how many were dropped.
    /// Pending entries are not part of the state, so dropping them loses nothing a later sync
    /// cannot fetch again; it bounds what a member can make this node hold.
    @discardableResult
    public func trimPending(of author: PublicKey, keep: Int) throws -> Int {
        try database.writer.write { db in
            try db.execute(sql: """
                DELETE FROM pending WHERE id IN (SELECT id FROM pending WHERE author = ? ORDER BY seq DESC
                    LIMIT max(0, (SELECT COUNT(*) FROM pending WHERE author = ?) - ?))
                """, arguments: [author.data, author.data, keep])
            return db.changesCount
        }
    }

    /// The highest local arrival number (the change-feed cursor of the newest entry), or 0.
    public func lastLocalSeq() throws -> Int64 {
        try database.writer.read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(localSeq) FROM entry")) ?? 0 }
    }

    /// Changes caused by entries after `cursor`, oldest first, for at most `limit` entries, read
    /// from the table (``CommitFeed/read(after:limit:)`` serves them from memory when it can).
    public func changes(after cursor: Int64, limit: Int = 1000) throws -> [ChangeRecord] {
        try database.writer.read { db in try Self.changePage(db, after: cursor, limit: limit).changes }
    }

    /// The changes after `cursor` (whole entries, at most `limit` of them) with what subscribers
    /// need of each signal, and the newest cursor, in one read transaction. Read from the table,
    /// `live` says whether the signal is in force now rather than on arrival.
    static func changePage(_ db: Database, after cursor: Int64, limit: Int) throws -> (changes: [ChangeRecord], through: Int64) {
        let through = try Int64.fetchOne(db.cachedStatement(sql: "SELECT max(localSeq) FROM entry")) ?? 0
        guard limit > 0, through > cursor else { return ([], through) }
        var out: [ChangeRecord] = []
        var retractedTargets: [Int64: [EntryID]] = [:]
        let rows = try Row.fetchAll(db, sql: """
            SELECT localSeq, effect, id, target, receivedAt, kind, value, retractedBy IS NULL AS live, bodyType
            FROM entry WHERE localSeq > ? AND effect != 0 ORDER BY localSeq LIMIT ?
            """, arguments: [cursor, limit])
        for row in rows where (row["effect"] as Int) & ChangeRecord.Kind.retracted.bit != 0 {
            if let t = try (row["target"] as Data?).map({ try EntryID(bytes: $0) }) { retractedTargets[t.storageKey, default: []].append(t) }
        }
        // The kinds and values of retracted signals, in one query rather than one per change.
        var retracted: [EntryID: (SignalKind, String)] = [:]
        if !retractedTargets.isEmpty {
            let keys = retractedTargets.keys.map(String.init).joined(separator: ",")
            for r in try Row.fetchAll(db, sql: "SELECT id, kind, value FROM entry WHERE idKey IN (\(keys)) AND kind IS NOT NULL") {
                let id = try EntryID(bytes: r["id"] as Data)
                if let kind = try? SignalKind(name: r["kind"]) { retracted[id] = (kind, r["value"]) }
            }
        }
        for row in rows {
            let effect: Int = row["effect"]
            let id = try EntryID(bytes: row["id"] as Data)
            let target = try (row["target"] as Data?).map { try EntryID(bytes: $0) }
            let cursor: Int64 = row["localSeq"], at: Int64 = row["receivedAt"]
            for kind in ChangeRecord.Kind.allCases where effect & kind.bit != 0 {
                switch kind {
                case .added:
                    let signalKind = (row["kind"] as String?).flatMap { try? SignalKind(name: $0) }
                    out.append(ChangeRecord(cursor: cursor, kind: kind, signal: id, entry: id, at: at, signalKind: signalKind, value: row["value"],
                                            live: row["live"], restricted: UInt16(row["bodyType"] as Int) == BodyType.sealed))
                case .retracted:
                    let t = target.flatMap { retracted[$0] }
                    out.append(ChangeRecord(cursor: cursor, kind: kind, signal: target, entry: id, at: at, signalKind: t?.0, value: t?.1))
                case .opinion:
                    out.append(ChangeRecord(cursor: cursor, kind: kind, signal: target, entry: id, at: at))
                case .equivocation, .rotation:
                    out.append(ChangeRecord(cursor: cursor, kind: kind, signal: nil, entry: id, at: at))
                }
            }
        }
        return (out, through)
    }

    /// The indicator key (``IndicatorKey/storageKey``) of every stored signal, retracted or not,
    /// streamed from the covering index without materialising rows: the start-up load of the
    /// API's exact-lookup filter.
    public func forEachIndicatorKey(_ body: (Int64) throws -> Void) throws {
        try scan { db in
            try RawStatement(db, "SELECT indicatorKey FROM entry WHERE indicatorKey IS NOT NULL").forEach { row in
                try body(row.int64(0))
            }
        }
    }

    /// Every signal of `kinds` that is not retracted, as (ID, kind, value), streamed in store
    /// order without materialising rows: the start-up load of the API's PDQ and trend indexes.
    public func forEachLiveSignal(kinds: [SignalKind], _ body: (EntryID, SignalKind, String) throws -> Void) throws {
        let byName = Dictionary(kinds.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let list = kinds.map { "'\($0.name)'" }.joined(separator: ",")
        try scan { db in
            try RawStatement(db, "SELECT id, kind, value FROM entry WHERE kind IN (\(list)) AND retractedBy IS NULL ORDER BY localSeq").forEach { row in
                guard let kind = byName[row.text(1)] else { return }
                try body(try EntryID(bytes: row.blob(0)), kind, row.text(2))
            }
        }
    }

    /// Runs a whole-table read on a connection of its own, without memory-mapped I/O and with
    /// SQLite's default small page cache: a start-up scan of millions of rows would otherwise
    /// leave a gigabyte of mapped file pages counted in the node's resident memory. (An
    /// in-memory database is read through its only connection.)
    private func scan(_ body: (Database) throws -> Void) throws {
        guard let pool = database.writer as? DatabasePool else { return try database.writer.read(body) }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 0") }
        try DatabaseQueue(path: pool.path, configuration: config).read(body)
    }

    /// Counts of what the store holds.
    public func statistics(now: Int64 = .nowMillis) throws -> StoreStatistics {
        try database.writer.read { db in
            var s = StoreStatistics()
            s.entries = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry") ?? 0
            s.pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending") ?? 0
            s.authors = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM author") ?? 0
            s.signals = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM signal") ?? 0
            s.activeSignals = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM signal WHERE \(SignalRow.activeCondition)", arguments: [now]) ?? 0
            s.unreadable = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry WHERE bodyType = ? AND readable = 0", arguments: [Int(BodyType.sealed)]) ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) AS n FROM signal GROUP BY kind") {
                s.signalsByKind[row["kind"]] = row["n"]
            }
            // Top-level categories (the part before '/').
            for row in try Row.fetchAll(db, sql: """
                SELECT CASE WHEN instr(category, '/') > 0 THEN substr(category, 1, instr(category, '/') - 1) ELSE category END AS c,
                       COUNT(*) AS n FROM signal GROUP BY c
                """) {
                s.signalsByCategory[row["c"]] = row["n"]
            }
            return s
        }
    }

    /// The state digest of `Protocol/SPEC.md` §8.10, computed from the merged-state tables.
    /// Equal to `MergedState.digest()` for the same entries and reader.
    public func stateDigest() throws -> [UInt8] {
        try database.writer.read { db in
            var lines: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT id, retractedBy FROM signal") {
                lines.append(StateDigest.signalLine(id: try EntryID(bytes: row["id"] as Data),
                                                    retractedBy: try (row["retractedBy"] as Data?).map { try EntryID(bytes: $0) }))
            }
            for row in try Row.fetchAll(db, sql: "SELECT author, target, entry FROM opinion") {
                lines.append(StateDigest.opinionLine(author: try PublicKey(bytes: row["author"] as Data),
                                                     target: try EntryID(bytes: row["target"] as Data),
                                                     entry: try EntryID(bytes: row["entry"] as Data)))
            }
            for key in try Data.fetchAll(db, sql: "SELECT key FROM author WHERE equivocating = 1") {
                lines.append(StateDigest.equivocatorLine(try PublicKey(bytes: key)))
            }
            for row in try Row.fetchAll(db, sql: "SELECT author, successor FROM rotation") {
                lines.append(StateDigest.rotationLine(author: try PublicKey(bytes: row["author"] as Data),
                                                      successor: try PublicKey(bytes: row["successor"] as Data)))
            }
            for id in try Data.fetchAll(db, sql: "SELECT id FROM entry WHERE bodyType = ? AND readable = 0", arguments: [Int(BodyType.sealed)]) {
                lines.append(StateDigest.unreadableLine(try EntryID(bytes: id)))
            }
            return StateDigest.digest(lines)
        }
    }
}

private struct AtomicBatchRejected: Error {
    let report: IngestReport
}

extension Int64 {
    /// Milliseconds since the Unix epoch, now.
    public static var nowMillis: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}

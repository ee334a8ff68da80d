import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB

/// Applies verified entries inside one write transaction: chain linkage, pending entries,
/// equivocation, and the merged-state columns and tables. The SQL counterpart of `Replica` +
/// `MergedState`; `StoreEquivalenceTests` checks that they agree.
///
/// Each entry is one row of `entry`. A publish row carries its signal's columns, and every row
/// records in `effect` what applying it changed, which is what the change feed reads.
final class IngestWriter {
    struct Head { var seq: UInt64; var id: EntryID; var count: Int; var equivocating: Bool; var dirty: Bool }

    private let db: Database
    private let reader: [Signer]
    private let now: Int64
    /// Set during a bulk load: lookups go through it instead of the dropped indexes.
    private let bulk: BulkLoadState?
    /// The last entry written per author: almost always the predecessor of that author's next entry.
    private var lastLink: [PublicKey: ChainLink] = [:]
    private var heads: [PublicKey: Head] = [:]
    private var hasPending: Bool
    private(set) var report = IngestReport()
    /// The kind and value of the signal the entry being applied retracted (set by `apply`).
    private var retractedSignal: (kind: SignalKind, value: String)?
    /// Set when an atomic batch meets an invalid entry.
    private(set) var firstFailure: IngestReport.Rejection?

    // Hot-path statements, prepared once per connection (GRDB's cache) and bound directly.
    private static let entryColumns = "id, author, seq, prev, timestamp, bodyType, readable, bytes, receivedAt, idKey, target"
    private lazy var insertEntry = try! RawStatement(db, "INSERT INTO entry (\(Self.entryColumns), effect) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?21)")
    /// A publish row. Its retraction columns are filled when a retraction of it arrived first.
    private lazy var insertPublishEntry = try! RawStatement(db, """
        INSERT INTO entry (\(Self.entryColumns), effect, kind, value, category, severity, tlp, labels, expiresAt, note, quality, indicatorKey,
                           retractedBy, retractSeq, retractReason)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, ?21, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?22, ?23, ?24)
        """)
    /// The earliest stored retraction of a signal by its author (a retraction may arrive before
    /// its target through a relay). A plain primary-key probe, kept apart from the insert so that
    /// the common case costs no join; the earliest of the (rare) several is picked in Swift, so
    /// the probe needs no sorter.
    private lazy var selectEarliestRetraction = try! RawStatement(db, """
        SELECT entry, seq, reason FROM retraction WHERE target = ?1 AND author = ?2
        """)
    /// Whether the retraction table may hold rows (checked once, then set by our own inserts).
    private var retractionsExist: Bool
    private lazy var selectLink = try! RawStatement(db, "SELECT author, seq, timestamp, bodyType FROM entry WHERE idKey = ?1 AND id = ?2")
    private lazy var selectEntryExists = try! RawStatement(db, "SELECT 1 FROM entry WHERE idKey = ?1 AND id = ?2")
    private lazy var selectPendingExists = try! RawStatement(db, "SELECT 1 FROM pending WHERE id = ?")
    private lazy var countAtSeq = try! RawStatement(db, "SELECT COUNT(*) FROM entry WHERE author = ? AND seq = ?")
    private lazy var upsertOpinion = try! RawStatement(db, """
        INSERT INTO opinion (author, target, seq, entry, stance, note, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(author, target) DO UPDATE SET seq = excluded.seq, entry = excluded.entry,
            stance = excluded.stance, note = excluded.note, timestamp = excluded.timestamp
        WHERE (excluded.seq, excluded.entry) > (opinion.seq, opinion.entry)
        """)
    private lazy var insertRetraction = try! RawStatement(db, "INSERT OR IGNORE INTO retraction (target, entry, author, seq, reason) VALUES (?, ?, ?, ?, ?)")
    private lazy var selectActive = try! RawStatement(db, "SELECT retractedBy IS NULL, kind, value FROM entry WHERE idKey = ?3 AND id = ?1 AND author = ?2 AND kind IS NOT NULL")
    private lazy var updateRetracted = try! RawStatement(db, """
        UPDATE entry SET retractedBy = ?1, retractSeq = ?2, retractReason = ?3
        WHERE idKey = ?6 AND id = ?4 AND author = ?5 AND kind IS NOT NULL AND (retractedBy IS NULL OR (retractSeq, retractedBy) > (?2, ?1))
        """)

    // Bulk-load variants that address rows by `localSeq` (the table's primary key).
    private lazy var selectLinkByRow = try! RawStatement(db, "SELECT author, seq, timestamp, bodyType FROM entry WHERE localSeq = ?")
    private lazy var selectActiveByRow = try! RawStatement(db, "SELECT retractedBy IS NULL, kind, value FROM entry WHERE localSeq = ?3 AND id = ?1 AND author = ?2 AND kind IS NOT NULL")
    private lazy var updateRetractedByRow = try! RawStatement(db, """
        UPDATE entry SET retractedBy = ?1, retractSeq = ?2, retractReason = ?3
        WHERE localSeq = ?6 AND id = ?4 AND author = ?5 AND kind IS NOT NULL AND (retractedBy IS NULL OR (retractSeq, retractedBy) > (?2, ?1))
        """)

    init(db: Database, reader: [Signer], now: Int64, bulk: BulkLoadState? = nil) throws {
        self.db = db
        self.reader = reader
        self.now = now
        self.bulk = bulk
        self.hasPending = try db.flag("SELECT EXISTS (SELECT 1 FROM pending)") ?? false
        self.retractionsExist = try db.flag("SELECT EXISTS (SELECT 1 FROM retraction)") ?? false
    }

    /// Writes one entry; returns false if it was rejected.
    @discardableResult
    func write(_ item: VerifiedEntry, index: Int) throws -> Bool {
        let e = item.entry
        if hasPending, try pendingExists(e.id) {
            duplicate(index)
            return true
        }
        if e.seq > 1 {
            guard let prev = try link(e.prev, author: e.author) else {
                if try entryExists(e.id) { duplicate(index); return true }
                try db.run("INSERT OR IGNORE INTO pending (id, prev, author, seq, bytes) VALUES (?, ?, ?, ?, ?)",
                           [e.id.data, e.prev.data, e.author.data, Int64(e.seq), Data(e.bytes)])
                hasPending = true
                report.pending += 1
                report.pendingEntries.append(.init(author: e.author, seq: e.seq))
                report.pendingIndexes.append(index)
                return true
            }
            do { try ChainRules.checkLink(e, to: prev) } catch {
                if try entryExists(e.id) { duplicate(index); return true }
                reject(index, error)
                return false
            }
        }
        guard try insert(item) else { duplicate(index); return true }
        try release(after: e.id)
        return true
    }

    private func duplicate(_ index: Int) {
        report.duplicates += 1
        report.duplicateIndexes.append(index)
    }

    func reject(_ index: Int, _ error: CoalitionError) {
        let r = IngestReport.Rejection(index: index, code: error.code, message: error.description)
        report.rejected.append(r)
        if firstFailure == nil { firstFailure = r }
    }

    /// Persists the author heads touched by the batch.
    func finish() throws {
        for (author, h) in heads where h.dirty {
            try db.run("""
                INSERT INTO author (key, headSeq, headID, entryCount, equivocating) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET headSeq = excluded.headSeq, headID = excluded.headID,
                    entryCount = excluded.entryCount, equivocating = excluded.equivocating
                """, [author.data, Int64(h.seq), h.id.data, h.count, h.equivocating])
        }
    }

    // MARK: - Internals

    private func entryExists(_ id: EntryID) throws -> Bool {
        if let bulk { return bulk.row(of: id) != nil }
        selectEntryExists.bind(1, id.storageKey)
        selectEntryExists.bind(2, id)
        return try selectEntryExists.first { _ in true } ?? false
    }

    private func pendingExists(_ id: EntryID) throws -> Bool {
        selectPendingExists.bind(1, id)
        return try selectPendingExists.first { _ in true } ?? false
    }

    private func link(_ id: EntryID, author: PublicKey) throws -> ChainLink? {
        if let l = lastLink[author], l.id == id { return l }
        if let bulk {
            guard let row = bulk.row(of: id) else { return nil }
            selectLinkByRow.bind(1, row)
            return try selectLinkByRow.first { r in
                ChainLink(id: id, author: r.publicKey(0), seq: UInt64(r.int64(1)), timestamp: r.int64(2), bodyType: UInt16(r.int64(3)))
            }
        }
        selectLink.bind(1, id.storageKey)
        selectLink.bind(2, id)
        return try selectLink.first { row in
            ChainLink(id: id, author: row.publicKey(0), seq: UInt64(row.int64(1)), timestamp: row.int64(2), bodyType: UInt16(row.int64(3)))
        }
    }

    private func head(_ author: PublicKey) throws -> Head? {
        if let h = heads[author] { return h }
        guard let row = try db.row("SELECT headSeq, headID, entryCount, equivocating FROM author WHERE key = ?", [author.data]) else { return nil }
        let h = Head(seq: UInt64(row["headSeq"] as Int64), id: try! EntryID(bytes: row["headID"] as Data),
                     count: row["entryCount"], equivocating: row["equivocating"], dirty: false)
        heads[author] = h
        return h
    }

    /// Inserts a linked entry and applies it. Returns false if it was already stored.
    private func insert(_ item: VerifiedEntry) throws -> Bool {
        let e = item.entry
        if try entryExists(e.id) { return false }
        var h = try head(e.author) ?? Head(seq: 0, id: .zero, count: 0, equivocating: false, dirty: true)
        // Another stored entry at this sequence number makes the author an equivocator.
        var forks = false
        if let bulk {
            forks = bulk.hasSeq(e.seq, of: e.author)
        } else if e.seq <= h.seq {
            countAtSeq.bind(1, e.author)
            countAtSeq.bind(2, Int64(e.seq))
            forks = try countAtSeq.first { $0.int64(0) } ?? 0 > 0
        }

        // What applying the entry changes is known before its row is written (it touches other
        // rows only), so the row is inserted with its `effect` in one statement.
        retractedSignal = nil
        var effect = try apply(e, item.readable)
        if forks && !h.equivocating {
            h.equivocating = true
            effect |= ChangeRecord.Kind.equivocation.bit
            report.newEquivocations.append(.init(author: e.author, seq: e.seq))
        }
        let st: RawStatement
        var target: EntryID?
        switch item.readable {
        case .retract(let r): target = r.target
        case .opinion(let o): target = o.target
        default: break
        }
        var live = true
        if case .publish(let s) = item.readable {
            st = insertPublishEntry
            live = try !bindEarliestRetraction(of: e, to: st)
            effect |= ChangeRecord.Kind.added.bit
            st.bind(11, s.kind.name); st.bind(12, s.value); st.bind(13, s.category); st.bind(14, Int(s.severity.rawValue))
            st.bind(15, Int(s.tlp.rawValue)); st.bind(16, s.labels.joined(separator: "\n")); st.bind(17, s.expiresAt)
            st.bind(18, s.note); st.bind(19, s.quality.map { Int($0) }); st.bind(20, item.indicatorStorageKey)
        } else {
            st = insertEntry
            if let target { st.bind(11, target) } else { st.bind(11, nil as Int?) }
        }
        st.bind(1, e.id); st.bind(2, e.author); st.bind(3, Int64(e.seq)); st.bind(4, e.prev)
        st.bind(5, e.timestamp); st.bind(6, Int(e.bodyType)); st.bind(7, item.readable != nil); st.bind(8, e.bytes)
        st.bind(9, now); st.bind(10, e.id.storageKey); st.bind(21, effect)
        // A plain INSERT (no conflict clause) writes its row or throws; `entryExists` above
        // already answered for duplicates.
        _ = try st.execute()
        let localSeq = db.lastInsertedRowID
        bulk?.record(e.id, row: localSeq, author: e.author, seq: e.seq)
        report.rows = (report.rows?.lowerBound ?? localSeq)...localSeq
        if effect != 0 { recordChanges(effect, of: e, cursor: localSeq, readable: item.readable, target: target, live: live) }

        lastLink[e.author] = ChainLink(e)
        report.applied += 1
        report.appliedIDs.append(e.id)
        h.count += 1
        h.dirty = true
        if e.seq > h.seq {
            h.seq = e.seq
            h.id = e.id
        }
        heads[e.author] = h
        return true
    }

    /// The feed's records for one entry's effect bits, in ``ChangeRecord/Kind`` order.
    private func recordChanges(_ effect: Int, of e: Entry, cursor: Int64, readable: Body?, target: EntryID?, live: Bool) {
        for kind in ChangeRecord.Kind.allCases where effect & kind.bit != 0 {
            switch kind {
            case .added:
                guard case .publish(let s) = readable else { continue }
                report.changes.append(ChangeRecord(cursor: cursor, kind: kind, signal: e.id, entry: e.id, at: now, signalKind: s.kind, value: s.value,
                                                   live: live, restricted: e.bodyType == BodyType.sealed))
            case .retracted:
                report.changes.append(ChangeRecord(cursor: cursor, kind: kind, signal: target, entry: e.id, at: now,
                                                   signalKind: retractedSignal?.kind, value: retractedSignal?.value))
            case .opinion:
                report.changes.append(ChangeRecord(cursor: cursor, kind: kind, signal: target, entry: e.id, at: now))
            case .equivocation, .rotation:
                report.changes.append(ChangeRecord(cursor: cursor, kind: kind, signal: nil, entry: e.id, at: now))
            }
        }
    }

    /// Binds parameters 22–24 of `insertPublishEntry`: the retraction that already targets this
    /// signal, if any. Skips the probe when no stored retraction can target it.
    /// - Returns: whether there was one (the signal arrives retracted).
    @discardableResult
    private func bindEarliestRetraction(of e: Entry, to st: RawStatement) throws -> Bool {
        let mayExist = bulk.map { $0.mayHaveRetraction(of: e.id) } ?? retractionsExist
        var found: (entry: EntryID, seq: Int64, reason: String)?
        if mayExist {
            selectEarliestRetraction.bind(1, e.id)
            selectEarliestRetraction.bind(2, e.author)
            try selectEarliestRetraction.forEach { row in
                let candidate = (entry: row.entryID(0), seq: row.int64(1), reason: row.text(2))
                if let f = found, (f.seq, f.entry) < (candidate.seq, candidate.entry) {
                    return  // the one already found comes first in (seq, entry) order
                }
                found = candidate
            }
        }
        if let found {
            st.bind(22, found.entry); st.bind(23, found.seq); st.bind(24, found.reason)
        } else {
            st.bind(22, nil as Int?); st.bind(23, nil as Int?); st.bind(24, nil as Int?)
        }
        return found != nil
    }

    /// The SQL form of `MergedState.apply` for bodies that change other rows. Returns the effect bits.
    private func apply(_ e: Entry, _ readable: Body?) throws -> Int {
        switch readable {
        case .retract(let r):
            insertRetraction.bind(1, r.target); insertRetraction.bind(2, e.id); insertRetraction.bind(3, e.author)
            insertRetraction.bind(4, Int64(e.seq)); insertRetraction.bind(5, r.reason)
            try insertRetraction.execute()
            retractionsExist = true
            bulk?.recordRetraction(of: r.target)
            // During a bulk load a target that was not loaded is not in the store at all.
            let targetRow = bulk.map { $0.row(of: r.target) }
            if targetRow == .some(nil) { return 0 }
            let select = targetRow == nil ? selectActive : selectActiveByRow
            let update = targetRow == nil ? updateRetracted : updateRetractedByRow
            let key = targetRow.flatMap { $0 } ?? r.target.storageKey
            select.bind(1, r.target); select.bind(2, e.author); select.bind(3, key)
            let wasActive = try select.first { row -> Bool in
                if row.int64(0) == 1, let kind = try? SignalKind(name: row.text(1)) { retractedSignal = (kind, row.text(2)) }
                return row.int64(0) == 1
            }
            update.bind(1, e.id); update.bind(2, Int64(e.seq)); update.bind(3, r.reason)
            update.bind(4, r.target); update.bind(5, e.author); update.bind(6, key)
            try update.execute()
            return wasActive == true ? ChangeRecord.Kind.retracted.bit : 0
        case .opinion(let o):
            let st = upsertOpinion
            st.bind(1, e.author); st.bind(2, o.target); st.bind(3, Int64(e.seq)); st.bind(4, e.id)
            st.bind(5, Int(o.stance.rawValue)); st.bind(6, o.note); st.bind(7, e.timestamp)
            return try st.execute() > 0 ? ChangeRecord.Kind.opinion.bit : 0
        case .keyRotation(let k):
            try db.run("INSERT OR IGNORE INTO rotation (author, successor, entry) VALUES (?, ?, ?)",
                       [e.author.data, k.successor.data, e.id.data])
            return ChangeRecord.Kind.rotation.bit
        case .publish, .sealed, .unknown, nil:
            return 0
        }
    }

    /// Applies pending entries whose predecessor is now present, transitively.
    private func release(after id: EntryID) throws {
        guard hasPending else { return }
        var queue = [id]
        while let parent = queue.popLast() {
            let rows = try db.rows("SELECT id, bytes FROM pending WHERE prev = ?", [parent.data])
            for row in rows {
                try db.run("DELETE FROM pending WHERE id = ?", [row["id"] as Data])
                // Pending entries passed the intrinsic rules when they arrived.
                guard let e = try? Entry(decoding: [UInt8](row["bytes"] as Data)), let body = try? e.decodeBody(),
                      let prev = try link(parent, author: e.author), (try? ChainRules.checkLink(e, to: prev)) != nil else {
                    report.discarded += 1
                    continue
                }
                if try insert(VerifiedEntry(entry: e, body: body, reader: reader)) {
                    report.released += 1
                    queue.append(e.id)
                }
            }
        }
        hasPending = try db.flag("SELECT EXISTS (SELECT 1 FROM pending)") ?? false
    }
}

extension EntryID {
    var data: Data { raw.withUnsafeBytes { Data($0) } }
}

extension PublicKey {
    var data: Data { raw.withUnsafeBytes { Data($0) } }
}

import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB

/// Applies verified entries inside one write transaction: chain linkage, pending entries,
/// equivocation, and the merged-state tables. The SQL counterpart of `Replica` + `MergedState`;
/// `StoreEquivalenceTests` checks they agree.
final class IngestWriter {
    struct Head { var seq: UInt64; var id: EntryID; var count: Int; var equivocating: Bool; var dirty: Bool }

    private let db: Database
    private let reader: Signer?
    private let now: Int64
    private var links: [EntryID: ChainLink] = [:]
    private var heads: [PublicKey: Head] = [:]
    private var hasPending: Bool
    private(set) var report = IngestReport()
    /// Set when an atomic batch meets an invalid entry.
    private(set) var firstFailure: IngestReport.Rejection?

    init(db: Database, reader: Signer?, now: Int64) throws {
        self.db = db
        self.reader = reader
        self.now = now
        self.hasPending = try db.flag("SELECT EXISTS (SELECT 1 FROM pending)") ?? false
    }

    /// Writes one entry; returns false if it was rejected.
    @discardableResult
    func write(_ item: VerifiedEntry, index: Int) throws -> Bool {
        let e = item.entry
        if hasPending, try db.flag("SELECT EXISTS (SELECT 1 FROM pending WHERE id = ?)", [e.id.data]) == true {
            report.duplicates += 1
            return true
        }
        if e.seq > 1 {
            guard let prev = try link(e.prev) else {
                if try entryExists(e.id) { report.duplicates += 1; return true }
                try db.run("INSERT OR IGNORE INTO pending (id, prev, author, seq, bytes) VALUES (?, ?, ?, ?, ?)",
                               [e.id.data, e.prev.data, e.author.data, Int64(e.seq), Data(e.bytes)])
                hasPending = true
                report.pending += 1
                return true
            }
            do { try ChainRules.checkLink(e, to: prev) } catch {
                if try entryExists(e.id) { report.duplicates += 1; return true }
                reject(index, error)
                return false
            }
        }
        guard try insert(item) else { report.duplicates += 1; return true }
        try release(after: e.id)
        return true
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
        try db.flag("SELECT EXISTS (SELECT 1 FROM entry WHERE id = ?)", [id.data]) ?? false
    }

    private func link(_ id: EntryID) throws -> ChainLink? {
        if let l = links[id] { return l }
        guard let row = try db.row("SELECT author, seq, timestamp, bodyType FROM entry WHERE id = ?", [id.data]) else { return nil }
        let l = ChainLink(id: id, author: [UInt8](row["author"] as Data), seq: UInt64(row["seq"] as Int64),
                          timestamp: row["timestamp"], bodyType: UInt16(row["bodyType"] as Int))
        links[id] = l
        return l
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
        try db.run("""
            INSERT OR IGNORE INTO entry (id, author, seq, prev, timestamp, bodyType, readable, bytes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [e.id.data, e.author.data, Int64(e.seq), e.prev.data, e.timestamp, Int(e.bodyType),
                  item.readable != nil, Data(e.bytes)])
        guard db.changesCount > 0 else { return false }
        links[e.id] = ChainLink(e)
        report.applied += 1
        report.appliedIDs.append(e.id)

        var h = try head(e.author) ?? Head(seq: 0, id: .zero, count: 0, equivocating: false, dirty: true)
        h.count += 1
        h.dirty = true
        if e.seq <= h.seq {
            let n = try db.integer("SELECT COUNT(*) FROM entry WHERE author = ? AND seq = ?", [e.author.data, Int64(e.seq)]) ?? 0
            if n > 1 && !h.equivocating {
                h.equivocating = true
                try change(.equivocation, signal: nil, entry: e.id)
            }
        } else {
            h.seq = e.seq
            h.id = e.id
        }
        heads[e.author] = h
        try apply(e, item.readable)
        return true
    }

    /// The SQL form of `MergedState.apply`.
    private func apply(_ e: Entry, _ readable: Body?) throws {
        guard let body = readable else { return }
        switch body {
        case .publish(let s):
            try db.run("""
                INSERT INTO signal (id, author, seq, publishedAt, kind, value, category, severity, tlp, labels,
                                    expiresAt, note, quality, restricted, retractedBy, retractSeq, retractReason)
                SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, r.entry, r.seq, r.reason
                FROM (SELECT 1) LEFT JOIN (SELECT entry, seq, reason FROM retraction WHERE target = ? AND author = ?
                                           ORDER BY seq, entry LIMIT 1) r
                """, [e.id.data, e.author.data, Int64(e.seq), e.timestamp, s.kind.name, s.value, s.category,
                      Int(s.severity.rawValue), Int(s.tlp.rawValue), s.labels.joined(separator: "\n"),
                      s.expiresAt, s.note, s.quality.map { Int($0) }, e.bodyType == BodyType.sealed,
                      e.id.data, e.author.data])
            try change(.added, signal: e.id, entry: e.id)
        case .retract(let r):
            try db.run("INSERT OR IGNORE INTO retraction (target, entry, author, seq, reason) VALUES (?, ?, ?, ?, ?)",
                           [r.target.data, e.id.data, e.author.data, Int64(e.seq), r.reason])
            let wasActive = try db.flag("SELECT retractedBy IS NULL FROM signal WHERE id = ? AND author = ?",
                                              [r.target.data, e.author.data])
            try db.run("""
                UPDATE signal SET retractedBy = ?, retractSeq = ?, retractReason = ?
                WHERE id = ? AND author = ? AND (retractedBy IS NULL OR (retractSeq, retractedBy) > (?, ?))
                """, [e.id.data, Int64(e.seq), r.reason, r.target.data, e.author.data, Int64(e.seq), e.id.data])
            if wasActive == true { try change(.retracted, signal: r.target, entry: e.id) }
        case .opinion(let o):
            try db.run("""
                INSERT INTO opinion (author, target, seq, entry, stance, note, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(author, target) DO UPDATE SET seq = excluded.seq, entry = excluded.entry,
                    stance = excluded.stance, note = excluded.note, timestamp = excluded.timestamp
                WHERE (excluded.seq, excluded.entry) > (opinion.seq, opinion.entry)
                """, [e.author.data, o.target.data, Int64(e.seq), e.id.data, Int(o.stance.rawValue), o.note, e.timestamp])
            if db.changesCount > 0 { try change(.opinion, signal: o.target, entry: e.id) }
        case .keyRotation(let k):
            try db.run("INSERT OR IGNORE INTO rotation (author, successor, entry) VALUES (?, ?, ?)",
                           [e.author.data, k.successor.data, e.id.data])
            try change(.rotation, signal: nil, entry: e.id)
        case .sealed, .unknown:
            break
        }
    }

    private func change(_ kind: ChangeRecord.Kind, signal: EntryID?, entry: EntryID) throws {
        try db.run("INSERT INTO change (type, signal, entry, at) VALUES (?, ?, ?, ?)",
                       [kind.rawValue, signal?.data, entry.data, now])
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
                      let prev = try link(parent), (try? ChainRules.checkLink(e, to: prev)) != nil else {
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
    var data: Data { Data(bytes) }
}

extension PublicKey {
    var data: Data { Data(bytes) }
}

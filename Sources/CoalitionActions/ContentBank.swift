import CoalitionCore
import CoalitionMatch
import CoalitionStore
import Foundation
import Synchronization

/// The platform's content bank: hashes and values of content it hosts, checked against every
/// arriving signal (retro-hunt). Local only: never gossiped, exported or logged.
///
/// Exact kinds (MD5, SHA-256, URLs, trends) are found by value in SQLite. PDQ hashes are also
/// held in memory, 40 bytes each: the 32-byte hash and its 8-byte row, in two flat arrays sorted
/// by row, plus one bit per item for removals. A PDQ check scans them all: signals arrive far
/// less often than they would be looked up, and a scan of 10 million hashes on all cores costs
/// milliseconds, where an index with recall 1.0 at distance 31 would cost several times the
/// memory (see `docs/alerting.md`).
public final class ContentBank: Sendable {
    private struct PDQItems {
        var hashes: [PDQHash] = []
        var rows: [Int64] = []
        /// One bit per slot: removed.
        var removed: [UInt64] = []
        var removedCount = 0
        /// The last row read from the table.
        var lastRow: Int64 = 0

        var live: Int { rows.count - removedCount }

        mutating func reserve(_ n: Int) {
            hashes.reserveCapacity(n)
            rows.reserveCapacity(n)
            removed.reserveCapacity((n + 63) / 64)
        }

        mutating func append(_ hash: PDQHash, row: Int64) {
            if rows.count == rows.capacity {
                // Grow by an eighth, not the doubling of Array's appends: a bank of 10 million
                // items must not hold room for 20 million.
                reserve(rows.count + max(1024, rows.count / 8))
            }
            if rows.count % 64 == 0 { removed.append(0) }
            hashes.append(hash)
            rows.append(row)
        }

        mutating func remove(row: Int64) {
            var lo = 0, hi = rows.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if rows[mid] < row { lo = mid + 1 } else { hi = mid }
            }
            guard lo < rows.count, rows[lo] == row, removed[lo >> 6] & (1 << UInt64(lo & 63)) == 0 else { return }
            removed[lo >> 6] |= 1 << UInt64(lo & 63)
            removedCount += 1
            if removedCount > 1024, removedCount * 8 > rows.count { compact() }
        }

        mutating func compact() {
            var h: [PDQHash] = [], r: [Int64] = []
            h.reserveCapacity(live)
            r.reserveCapacity(live)
            for i in 0..<rows.count where removed[i >> 6] & (1 << UInt64(i & 63)) == 0 {
                h.append(hashes[i])
                r.append(rows[i])
            }
            hashes = h
            rows = r
            removed = [UInt64](repeating: 0, count: (r.count + 63) / 64)
            removedCount = 0
        }
    }

    /// The bank's table.
    public let store: ContentBankStore
    private let pdq = Mutex(PDQItems())
    /// One refresh at a time (its table reads happen outside `pdq`'s lock).
    private let refreshLock = Mutex(())

    public init(store: ContentBankStore) {
        self.store = store
    }

    /// PDQ items held in memory.
    public var pdqCount: Int { pdq.withLock { $0.live } }

    /// Bytes the in-memory PDQ bank holds (its arrays' capacity).
    public var pdqBytes: Int {
        pdq.withLock { $0.hashes.capacity * MemoryLayout<PDQHash>.stride + $0.rows.capacity * 8 + $0.removed.capacity * 8 }
    }

    /// Reads the PDQ items registered since the last read into memory: all of them the first
    /// time, then those that this process or another (`coalition content import`) added since.
    /// Rows are never reused and commit in increasing order, so reading after the last row
    /// seen misses nothing and keeps the arrays sorted.
    /// - Returns: how many were read.
    @discardableResult
    public func refresh() throws -> Int {
        try refreshLock.withLock { _ in
            var after = pdq.withLock { $0.lastRow }
            if after == 0 {
                let n = try store.count(kind: SignalKind.pdq.name)
                pdq.withLock { $0.reserve(n) }
            }
            var read = 0
            while true {
                let page = try store.items(kind: SignalKind.pdq.name, afterRow: after, limit: 100_000)
                guard let last = page.last else { break }
                pdq.withLock { bank in
                    for (row, value) in page {
                        if let h = PDQHash(hex: value) { bank.append(h, row: row) }
                    }
                    bank.lastRow = last.row
                }
                read += page.count
                after = last.row
            }
            return read
        }
    }

    /// Registers items; their values are canonicalised first (lowercase hex, canonical URLs).
    /// - Returns: how many were new.
    /// - Throws: `CoalitionError(.invalidField)` naming the first bad item; nothing is registered then.
    @discardableResult
    public func register(_ items: [ContentItem]) throws -> Int {
        var canonical: [ContentItem] = []
        canonical.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            canonical.append(try Self.canonical(item, index: i))
        }
        let added = try store.register(canonical)
        if added.contains(where: { $0.item.kind == SignalKind.pdq.name }) { try refresh() }
        return added.count
    }

    /// Unregisters a content ID's items (or only the one of `kind` and `value`).
    /// - Returns: how many were removed.
    @discardableResult
    public func unregister(contentId: String, kind: String? = nil, value: String? = nil) throws -> Int {
        var canonicalValue = value
        if let kind, let value { canonicalValue = try Self.canonical(ContentItem(contentId: contentId, kind: kind, value: value), index: 0).value }
        let removed = try store.unregister(contentId: contentId, kind: kind, value: canonicalValue)
        pdq.withLock { bank in
            // Rows removed by another process stay in memory until a restart; a match on one is
            // dropped when its item is read back from the table.
            for (row, item) in removed where item.kind == SignalKind.pdq.name { bank.remove(row: row) }
        }
        return removed.count
    }

    /// A hit: a registered item that matched a signal.
    public struct Hit: Sendable, Equatable, Codable {
        public var contentId: String
        public var kind: String
        public var value: String
        /// The PDQ distance, for PDQ items.
        public var distance: Int?
    }

    /// The registered items that match a signal of `kind` and canonical `value`: PDQ hashes
    /// within `radius`, other kinds by equal value. In content-ID order.
    public func matches(kind: SignalKind, value: String, radius: Int) throws -> [Hit] {
        if kind == .pdq {
            guard let query = PDQHash(hex: value) else { return [] }
            try refresh()
            let found = scan(query, radius: radius)
            let items = try store.items(rows: found.map(\.row))
            return found.compactMap { f in
                items[f.row].map { Hit(contentId: $0.contentId, kind: $0.kind, value: $0.value, distance: f.distance) }
            }.sorted { ($0.contentId, $0.distance ?? 0) < ($1.contentId, $1.distance ?? 0) }
        }
        return try store.contentIDs(kind: kind.name, value: value).map { Hit(contentId: $0, kind: kind.name, value: value, distance: nil) }
    }

    /// Rows of the PDQ items within `radius` of `query`, scanned on all cores.
    func scan(_ query: PDQHash, radius: Int) -> [(row: Int64, distance: Int)] {
        pdq.withLock { bank in
            let n = bank.rows.count
            let chunk = 1 << 18
            let starts = Array(stride(from: 0, to: n, by: chunk))
            return bank.hashes.withUnsafeBufferPointer { hashes in
                bank.rows.withUnsafeBufferPointer { rows in
                    bank.removed.withUnsafeBufferPointer { removed in
                        nonisolated(unsafe) let h = hashes, r = rows, d = removed
                        return starts.parallelMap(chunkSize: 1) { start in
                            var out: [(row: Int64, distance: Int)] = []
                            let q = query.words
                            for i in start..<min(start + chunk, n) {
                                let w = h[i].words
                                let dist = (w.0 ^ q.0).nonzeroBitCount + (w.1 ^ q.1).nonzeroBitCount
                                    + (w.2 ^ q.2).nonzeroBitCount + (w.3 ^ q.3).nonzeroBitCount
                                if dist <= radius, d[i >> 6] & (1 << UInt64(i & 63)) == 0 { out.append((r[i], dist)) }
                            }
                            return out
                        }.flatMap { $0 }
                    }
                }
            }
        }
    }

    /// The canonical form of an item, checked as a signal's value of that kind would be.
    static func canonical(_ item: ContentItem, index: Int) throws(CoalitionError) -> ContentItem {
        let id = item.contentId
        guard !id.isEmpty, id.utf8.count <= 256, !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw CoalitionError(.invalidField, "item \(index): a content ID is 1–256 bytes with no control characters", field: "contentId")
        }
        let kind = try SignalKind(name: item.kind)
        if case .other = kind {
            throw CoalitionError(.invalidField, "item \(index): '\(item.kind)' is not a kind the bank holds (pdq, md5, sha256, url, trend)", field: "kind")
        }
        do {
            return ContentItem(contentId: id, kind: kind.name, value: try SignalRules.canonicalValue(item.value, kind: kind))
        } catch {
            throw CoalitionError(.invalidField, "item \(index): \(error.message)", field: "value")
        }
    }
}

import CoalitionCore
import CoalitionCrypto

/// What a bulk load remembers across its transactions in place of the secondary indexes it
/// dropped: every loaded entry's row, and which sequence numbers each author has used.
///
/// Only touched inside the store's write transactions, which SQLite and GRDB serialise; that
/// confinement is why it is `@unchecked Sendable`. Additions are journalled per transaction so
/// that a rolled-back batch leaves the maps as the database is.
final class BulkLoadState: @unchecked Sendable {
    /// Loaded entry → its `localSeq`.
    private var rows: [EntryID: Int64] = [:]
    /// Per author, a bitset of the sequence numbers stored (chains are dense from 1).
    private var seqBits: [PublicKey: [UInt64]] = [:]
    /// Hash prefixes of every signal a loaded retraction targets. A signal whose prefix is absent
    /// has no stored retraction (extra prefixes left by a rolled-back batch only cost a probe).
    private var retractionTargets: Set<UInt64> = []
    /// What the open transaction added, and whether each sequence bit was already set.
    private var journal: [(id: EntryID, author: PublicKey, seq: UInt64, bitWasSet: Bool)] = []
    /// The highest `localSeq` this load wrote: if the table's is higher, another writer (the CLI,
    /// an API publish) added rows that the maps do not know, and the load must end.
    private(set) var lastRow: Int64 = 0
    private var lastRowAtBegin: Int64 = 0
    /// Set once the indexes are built again; the maps may still serve lookups until `finished`.
    var indexed = false
    /// Set when the load ended; later batches take the normal path.
    var finished = false
    /// Set when a batch failed with a database error; the maps are no longer trusted.
    var failed = false

    func row(of id: EntryID) -> Int64? { rows[id] }

    /// Frees the maps once the load ended (they take about 100 bytes per loaded entry).
    func release() {
        rows = [:]
        seqBits = [:]
        retractionTargets = []
        journal = []
    }

    /// Grows the row map ahead of a batch so it rehashes rarely (doubling, not per insert).
    func reserve(additional n: Int) {
        let needed = rows.count + n
        if rows.capacity < needed { rows.reserveCapacity(Swift.max(needed, rows.capacity * 2)) }
    }

    func mayHaveRetraction(of id: EntryID) -> Bool { retractionTargets.contains(id.raw.littleEndianPrefix) }

    func recordRetraction(of id: EntryID) { retractionTargets.insert(id.raw.littleEndianPrefix) }

    func hasSeq(_ seq: UInt64, of author: PublicKey) -> Bool {
        seqBits[author]?.hasBit(seq) ?? false
    }

    func record(_ id: EntryID, row: Int64, author: PublicKey, seq: UInt64) {
        journal.append((id, author, seq, hasSeq(seq, of: author)))
        rows[id] = row
        lastRow = Swift.max(lastRow, row)
        seqBits[author, default: []].setBit(seq)  // mutates in place, no copy of the bitset
    }

    /// Runs one transaction's worth of work, keeping the maps in step with the database.
    func transaction<T>(_ body: () throws -> T) rethrows -> T {
        lastRowAtBegin = lastRow
        do {
            let result = try body()
            journal.removeAll(keepingCapacity: true)
            return result
        } catch {
            for change in journal.reversed() {
                rows.removeValue(forKey: change.id)
                if !change.bitWasSet { seqBits[change.author]?.clearBit(change.seq) }
            }
            journal.removeAll()
            lastRow = lastRowAtBegin
            throw error
        }
    }
}

extension Array where Element == UInt64 {
    /// Bit `n` of a growable bitset stored in 64-bit words.
    func hasBit(_ n: UInt64) -> Bool {
        let word = Int(n / 64)
        return word < count && self[word] & (1 << (n % 64)) != 0
    }

    mutating func setBit(_ n: UInt64) {
        let word = Int(n / 64)
        if word >= count { append(contentsOf: repeatElement(0, count: word - count + 1)) }
        self[word] |= 1 << (n % 64)
    }

    mutating func clearBit(_ n: UInt64) {
        let word = Int(n / 64)
        if word < count { self[word] &= ~(1 << (n % 64)) }
    }
}

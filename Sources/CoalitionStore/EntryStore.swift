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
    /// The keys sealed entries are opened with: this node's member key, then the keys it
    /// rotated away from (entries sealed to them before the peers learned the rotation).
    public var readers: [Signer] { readerKeys.withLock { $0 } }
    private let readerKeys: Mutex<[Signer]>
    let logger: Logger
    let commits = Atomic<UInt64>(0)
    /// Lookups' own read connections, when the store is a file (not an in-memory test store).
    let indicatorReader: IndicatorReader?
    /// What each commit changed, pushed to subscribers (see ``CommitFeed``).
    public let feed: CommitFeed

    /// - Parameters:
    ///   - reader: this node's key; sealed entries addressed to it are decrypted and applied.
    ///   - retired: keys this node rotated away from, still used to open sealed entries.
    ///   - feedCapacity: changes the ``feed`` keeps in memory for subscribers.
    public init(database: AppDatabase, reader: Signer?, retired: [Signer] = [], logger: Logger = Logger(label: "coalition.store"),
                feedCapacity: Int = 65_536) {
        self.database = database
        self.readerKeys = Mutex((reader.map { [$0] } ?? []) + retired)
        self.logger = logger
        self.indicatorReader = (database.writer as? DatabasePool).map { IndicatorReader(path: $0.path) }
        let last = (try? database.writer.read { db in try Int64.fetchOne(db, sql: "SELECT max(localSeq) FROM entry") }) ?? nil
        self.feed = CommitFeed(through: last ?? 0, capacity: feedCapacity) { [database] cursor, limit in
            try database.writer.read { db in try Self.changePage(db, after: cursor, limit: limit) }
        }
    }

    /// Makes `signer` the first key sealed entries are opened with (after a key rotation); the
    /// others stay.
    public func adoptReader(_ signer: Signer) {
        readerKeys.withLock { keys in
            keys.removeAll { $0.publicKey == signer.publicKey }
            keys.insert(signer, at: 0)
        }
    }

    /// The key rotations held, as (author, successor) pairs.
    public func keyRotations() throws -> [(author: PublicKey, successor: PublicKey)] {
        try database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT author, successor FROM rotation").map {
                (author: try PublicKey(bytes: $0["author"] as Data), successor: try PublicKey(bytes: $0["successor"] as Data))
            }
        }
    }

    /// How many write transactions this store object has committed (or tried to): a cheap way
    /// for in-process readers, such as the API's match indexes, to notice that something may
    /// have changed. Writes by other processes are not counted.
    public var commitCount: UInt64 { commits.load(ordering: .acquiring) }

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
        let reader = self.readers
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
}

struct AtomicBatchRejected: Error {
    let report: IngestReport
}

extension Int64 {
    /// Milliseconds since the Unix epoch, now, by the wall clock (shifted by
    /// ``WallClockOffset`` when a test sets one).
    public static var nowMillis: Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) + WallClockOffset.millis }
}

/// A shift of this process's wall clock, for the clock-jump tests: when
/// `COALITION_CLOCK_OFFSET_FILE` names a file, the seconds it holds (a decimal, possibly
/// negative) are added to every timestamp the node makes, re-read at most every 100 ms, so a
/// test can jump a running node's clock backwards and forwards. Unset, nothing is read.
public enum WallClockOffset {
    private static let file = ProcessInfo.processInfo.environment["COALITION_CLOCK_OFFSET_FILE"]
    private static let cache = Mutex<(millis: Int64, readAt: Double)>((0, -1))

    /// The current shift in milliseconds (0 when no file is set).
    public static var millis: Int64 {
        guard let file else { return 0 }
        let now = ProcessInfo.processInfo.systemUptime
        return cache.withLock { c in
            if c.readAt < 0 || now - c.readAt > 0.1 {
                let text = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                c = (Int64(((Double(text) ?? 0) * 1000).rounded()), now)
            }
            return c.millis
        }
    }
}

extension EntryStore {
    /// The encoded rotation entry that closed `author`'s chain, if any (it is the chain's last).
    public func rotationEntry(of author: PublicKey) throws -> [UInt8]? {
        try database.writer.read { db in
            try Data.fetchOne(db, sql: "SELECT bytes FROM entry WHERE author = ? AND bodyType = ? ORDER BY seq DESC LIMIT 1",
                              arguments: [Data(author.bytes), Int(BodyType.keyRotation)]).map { Array($0) }
        }
    }
}

import CTuning
import Foundation
import GRDB

/// The node's SQLite database: a GRDB writer plus the schema's named migrations.
///
/// The daemon and the CLI use a `DatabasePool` (WAL mode, readers never block the writer);
/// unit tests use an in-memory `DatabaseQueue`.
public struct AppDatabase: Sendable {
    /// The underlying writer.
    public let writer: any DatabaseWriter

    /// Opens (creating if needed) the database at `path` and migrates it.
    /// - Throws: GRDB's `DatabaseError` when the file cannot be opened or migrated.
    public static func open(path: String) throws -> AppDatabase {
        _ = tuneSQLiteOnce
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if db.configuration.readonly {
                // Readers (the API's lookups, a few connections): 16 MiB of page cache each and no
                // mmap. Each connection maps the file on its own, and mapped pages count in the
                // node's RSS: with a 5 GB store, five readers held gigabytes of them.
                try db.execute(sql: "PRAGMA cache_size = -16384")
            } else {
                // A new store gets 16 KiB pages (an existing one keeps its own; SQLite ignores this
                // then). Each page written costs two write calls to the WAL and a read and a write
                // at the checkpoint, so with a quarter of the pages a bulk load's commits cost
                // 13.0 µs per entry instead of 15.7 (200,000 entries, 6 interleaved runs,
                // 2026-11-24; 32 KiB gave 12.0 but makes each page a lookup misses 32 KiB to read).
                try db.execute(sql: "PRAGMA page_size = \(AppDatabase.pageSize)")
                // The writer: up to 64 MiB of page cache, and reads through mmap: ingest touches
                // random index pages, and re-reading them with pread dominated ingest profiles.
                try db.execute(sql: "PRAGMA cache_size = -65536")
                try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            }
            // Checkpoint every 32 MiB of WAL instead of SQLite's 1,000 pages: index pages rewritten
            // by consecutive batches are then copied into the database once, not once per batch.
            // The limit counts pages of the file's own size (4 KiB in stores created earlier).
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? AppDatabase.pageSize
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(AppDatabase.walCheckpointBytes / max(pageSize, 512))")
        }
        let pool = try DatabasePool(path: path, configuration: config)
        return try AppDatabase(pool)
    }

    /// The page size of a new store's file, in bytes.
    public static let pageSize = 16_384
    /// How much WAL gathers before SQLite copies it into the database file.
    static let walCheckpointBytes = 32 * 1024 * 1024

    /// SQLite's memory statistics take a global mutex on every allocation; nothing here reads
    /// them. Effective only if this runs before the process opens its first connection.
    private static let tuneSQLiteOnce: Void = { _ = coalition_sqlite_disable_memstatus() }()

    /// An empty in-memory database, for tests.
    public static func inMemory() throws -> AppDatabase {
        _ = tuneSQLiteOnce
        return try AppDatabase(DatabaseQueue())
    }

    /// Wraps a writer and runs the migrations.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
        // A bulk load drops these and rebuilds them when it finishes; if the process died in
        // between, they are rebuilt here.
        try writer.write { db in try db.execute(sql: Self.bulkLoadIndexesSQL) }
    }

    /// The secondary indexes a bulk load into an empty store drops, then builds once at the end
    /// (several times cheaper than maintaining them row by row): those of `entry` with random
    /// keys, and `opinion_target`, whose random keys made every opinion cost a second random
    /// B-tree insert. `entry_author_seq` stays: each author's entries arrive in seq order, so its
    /// inserts append at one page per author, and building it at the end took half the build time.
    static let bulkLoadIndexesSQL = entryIndexesSQL + """
        CREATE INDEX IF NOT EXISTS opinion_target ON opinion(target);
        """
    static let dropBulkLoadIndexesSQL = """
        DROP INDEX IF EXISTS entry_id;
        DROP INDEX IF EXISTS entry_indicator;
        DROP INDEX IF EXISTS opinion_target;
        """

    /// The secondary indexes of `entry` (part of migration v1: never edit).
    static let entryIndexesSQL = """
        CREATE INDEX IF NOT EXISTS entry_id ON entry(idKey);
        CREATE INDEX IF NOT EXISTS entry_author_seq ON entry(author, seq);
        CREATE INDEX IF NOT EXISTS entry_indicator ON entry(indicatorKey) WHERE indicatorKey IS NOT NULL;
        """

    /// The schema. Migrations are never edited once shipped: add a new one instead.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: entries, signals, merged state") { db in
            // Every valid entry, in local arrival order. `localSeq` is also the change-feed cursor:
            // rows are never deleted, so it only ever increases. A publish entry carries its
            // signal's columns (the `signal` view), and `effect` records what applying it changed.
            // Lookups by ID and by (kind, value) go through 8-byte integer keys (`idKey`, the ID's
            // first bytes; `indicatorKey`, a SHA-256 prefix of kind and value) and then compare the
            // full values: the indexes stay a third of the size, which matters for ingest speed.
            try db.execute(sql: """
                CREATE TABLE entry (
                    localSeq INTEGER PRIMARY KEY,
                    idKey INTEGER NOT NULL,
                    id BLOB NOT NULL,
                    author BLOB NOT NULL,
                    seq INTEGER NOT NULL,
                    prev BLOB NOT NULL,
                    timestamp INTEGER NOT NULL,
                    bodyType INTEGER NOT NULL,
                    readable INTEGER NOT NULL,
                    bytes BLOB NOT NULL,
                    receivedAt INTEGER NOT NULL,
                    effect INTEGER NOT NULL DEFAULT 0,
                    target BLOB,
                    indicatorKey INTEGER,
                    kind TEXT,
                    value TEXT,
                    category TEXT,
                    severity INTEGER,
                    tlp INTEGER,
                    labels TEXT,
                    expiresAt INTEGER,
                    note TEXT,
                    quality INTEGER,
                    retractedBy BLOB,
                    retractSeq INTEGER,
                    retractReason TEXT
                );
                \(AppDatabase.entryIndexesSQL)
                CREATE VIEW signal AS
                    SELECT localSeq, idKey, indicatorKey, id, author, seq, timestamp AS publishedAt, kind, value, category, severity, tlp,
                           labels, expiresAt, note, quality, bodyType = 5 AS restricted, retractedBy, retractSeq, retractReason
                    FROM entry WHERE kind IS NOT NULL;
                CREATE TABLE author (
                    key BLOB PRIMARY KEY,
                    headSeq INTEGER NOT NULL,
                    headID BLOB NOT NULL,
                    entryCount INTEGER NOT NULL DEFAULT 0,
                    equivocating INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                CREATE TABLE pending (
                    id BLOB PRIMARY KEY,
                    prev BLOB NOT NULL,
                    author BLOB NOT NULL,
                    seq INTEGER NOT NULL,
                    bytes BLOB NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX pending_prev ON pending(prev);
                CREATE TABLE retraction (
                    target BLOB NOT NULL,
                    entry BLOB NOT NULL,
                    author BLOB NOT NULL,
                    seq INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    PRIMARY KEY (target, entry)
                ) WITHOUT ROWID;
                CREATE TABLE opinion (
                    author BLOB NOT NULL,
                    target BLOB NOT NULL,
                    seq INTEGER NOT NULL,
                    entry BLOB NOT NULL,
                    stance INTEGER NOT NULL,
                    note TEXT,
                    timestamp INTEGER NOT NULL,
                    PRIMARY KEY (author, target)
                ) WITHOUT ROWID;
                CREATE INDEX opinion_target ON opinion(target);
                CREATE TABLE rotation (
                    author BLOB NOT NULL,
                    successor BLOB NOT NULL,
                    entry BLOB NOT NULL,
                    PRIMARY KEY (author, successor)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v2: API tokens") { db in
            // Bearer tokens of the HTTP API. Only a SHA-256 hash of each token is kept; the
            // plaintext is shown once, when it is created.
            try db.execute(sql: """
                CREATE TABLE apiToken (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    hash BLOB NOT NULL UNIQUE,
                    scopes TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,
                    revokedAt INTEGER
                );
                """)
        }
        m.registerMigration("v3: local overrides") { db in
            // This node's own decisions about indicators, never shared with other members:
            // `ignore` hides matching signals from lookups, `flag` always reports a match.
            try db.execute(sql: """
                CREATE TABLE localOverride (
                    kind TEXT NOT NULL,
                    value TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('ignore', 'flag')),
                    note TEXT,
                    createdAt INTEGER NOT NULL,
                    PRIMARY KEY (kind, value)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v4: alerting and the content bank") { db in
            // Alerting: webhook endpoints (with the HMAC secret each delivery is signed with),
            // rules added through the CLI or the API, and the outbox. Outbox rows are made from
            // the `entry` log under `alertCursor`, in one transaction with the cursor's advance:
            // a crash replays from the cursor, and (endpoint, messageID) keeps a replay from
            // queueing a message twice. `state`: 0 pending, 1 delivered, 2 dead.
            try db.execute(sql: """
                CREATE TABLE webhookEndpoint (
                    name TEXT PRIMARY KEY,
                    url TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,
                    dropped INTEGER NOT NULL DEFAULT 0
                ) WITHOUT ROWID;
                CREATE TABLE alertRule (
                    name TEXT PRIMARY KEY,
                    definition TEXT NOT NULL,
                    createdAt INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY,
                    endpoint TEXT NOT NULL,
                    messageID TEXT NOT NULL,
                    eventType TEXT NOT NULL,
                    priority INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    eventAt INTEGER NOT NULL,
                    queuedAt INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt INTEGER NOT NULL,
                    state INTEGER NOT NULL DEFAULT 0,
                    lastError TEXT,
                    lastErrorAt INTEGER,
                    doneAt INTEGER,
                    UNIQUE (endpoint, messageID)
                );
                CREATE INDEX outbox_queue ON outbox(endpoint, priority DESC, id) WHERE state = 0;
                CREATE INDEX outbox_done ON outbox(doneAt) WHERE state <> 0;
                CREATE TABLE alertCursor (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    cursor INTEGER NOT NULL
                );
                CREATE TABLE alertVerdict (
                    signal BLOB PRIMARY KEY,
                    verdict TEXT NOT NULL
                ) WITHOUT ROWID;
                """)
            // The content bank: hashes and values of content this platform hosts, checked against
            // every arriving signal (retro-hunt). Local only: never gossiped or exported. Row IDs are
            // never reused, so the in-memory PDQ bank stays sorted by row.
            try db.execute(sql: """
                CREATE TABLE contentItem (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    contentId TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    value TEXT NOT NULL,
                    createdAt INTEGER NOT NULL,
                    UNIQUE (kind, value, contentId)
                );
                CREATE INDEX contentItem_content ON contentItem(contentId);
                """)
        }
        m.registerMigration("v5: usage counters") { db in
            // This node's own use of the coalition, per UTC day, for the local part of the
            // transparency report: lookups (category '') and matches per category. Never shared.
            try db.execute(sql: """
                CREATE TABLE usageDaily (
                    day INTEGER NOT NULL,
                    category TEXT NOT NULL,
                    lookups INTEGER NOT NULL DEFAULT 0,
                    matches INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (day, category)
                ) WITHOUT ROWID;
                """)
        }
        return m
    }
}

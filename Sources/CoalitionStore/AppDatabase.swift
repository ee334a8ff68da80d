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
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        let pool = try DatabasePool(path: path, configuration: config)
        return try AppDatabase(pool)
    }

    /// An empty in-memory database, for tests.
    public static func inMemory() throws -> AppDatabase {
        try AppDatabase(DatabaseQueue())
    }

    /// Wraps a writer and runs the migrations.
    public init(_ writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// The schema. Migrations are never edited once shipped: add a new one instead.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: entries, authors and pending entries") { db in
            // Every valid entry, in local arrival order (which is also a valid topological order).
            try db.execute(sql: """
                CREATE TABLE entry (
                    localSeq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id BLOB NOT NULL UNIQUE,
                    author BLOB NOT NULL,
                    seq INTEGER NOT NULL,
                    prev BLOB NOT NULL,
                    timestamp INTEGER NOT NULL,
                    bodyType INTEGER NOT NULL,
                    readable INTEGER NOT NULL,
                    bytes BLOB NOT NULL
                );
                CREATE INDEX entry_author_seq ON entry(author, seq);
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
                """)
        }
        m.registerMigration("v1: merged state and change feed") { db in
            try db.execute(sql: """
                CREATE TABLE signal (
                    id BLOB PRIMARY KEY,
                    author BLOB NOT NULL,
                    seq INTEGER NOT NULL,
                    publishedAt INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    value TEXT NOT NULL,
                    category TEXT NOT NULL,
                    severity INTEGER NOT NULL,
                    tlp INTEGER NOT NULL,
                    labels TEXT NOT NULL,
                    expiresAt INTEGER,
                    note TEXT,
                    quality INTEGER,
                    restricted INTEGER NOT NULL,
                    retractedBy BLOB,
                    retractSeq INTEGER,
                    retractReason TEXT
                ) WITHOUT ROWID;
                CREATE INDEX signal_indicator ON signal(kind, value);
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
                CREATE TABLE change (
                    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
                    type TEXT NOT NULL,
                    signal BLOB,
                    entry BLOB NOT NULL,
                    at INTEGER NOT NULL
                );
                """)
        }
        return m
    }
}

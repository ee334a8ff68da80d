import CoalitionCore
import CoalitionCrypto
import GRDB
import GRDBSQLite

/// Direct binding and stepping of a prepared statement: the store's one raw-SQLite layer, for
/// the ingest and lookup hot paths.
///
/// GRDB's `StatementArguments` box every value in an existential, which costs more than the
/// SQLite work itself when a batch runs five statements per entry. This wrapper binds straight
/// into the prepared statement (SQLite copies blobs and text, so Swift buffers need not outlive
/// the call) and resets it after each use. A statement prepared through GRDB stays owned by its
/// cache; one prepared on a raw connection (``IndicatorReader``) is finalized by its owner.
struct RawStatement {
    /// GRDB's statement, kept alive while this wrapper is used; nil for a raw connection's.
    private let statement: Statement?
    private let handle: OpaquePointer

    init(_ db: Database, _ sql: String) throws {
        let statement = try db.cachedStatement(sql: sql)
        self.statement = statement
        self.handle = statement.sqliteStatement
    }

    /// Prepares `sql` on a connection opened with `sqlite3_open_v2`, for repeated use; call
    /// ``finalize()`` before closing the connection.
    init(connection: OpaquePointer, _ sql: String) throws {
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard rc == SQLITE_OK, let prepared else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "preparing \(sql.prefix(40)): \(String(cString: sqlite3_errmsg(connection)))")
        }
        self.statement = nil
        self.handle = prepared
    }

    /// Frees a statement prepared with ``init(connection:_:)``.
    func finalize() {
        if statement == nil { sqlite3_finalize(handle) }
    }

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ bytes: [UInt8]) { bytes.withUnsafeBytes { bind(index, blob: $0) } }
    func bind(_ index: Int32, _ raw: Bytes32) { raw.withUnsafeBytes { bind(index, blob: $0) } }
    private func bind(_ index: Int32, blob: UnsafeRawBufferPointer) {
        _ = sqlite3_bind_blob(handle, index, blob.baseAddress, Int32(blob.count), Self.transient)
    }
    func bind(_ index: Int32, _ id: EntryID) { bind(index, id.raw) }
    func bind(_ index: Int32, _ key: PublicKey) { bind(index, key.raw) }
    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }
    func bind(_ index: Int32, _ value: Bool) { sqlite3_bind_int64(handle, index, value ? 1 : 0) }
    func bind(_ index: Int32, _ value: String) {
        var v = value
        v.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                _ = sqlite3_bind_text(handle, index, chars.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(chars.count), Self.transient)
            }
        }
    }
    func bind(_ index: Int32, _ value: String?) { if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) } }
    func bind(_ index: Int32, _ value: Int64?) { if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) } }
    func bind(_ index: Int32, _ value: Int?) { if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) } }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    @discardableResult
    func execute() throws -> Int {
        defer { sqlite3_reset(handle) }
        let rc = sqlite3_step(handle)
        guard rc == SQLITE_DONE else { throw failure(rc) }
        return Int(sqlite3_changes(sqlite3_db_handle(handle)))
    }

    /// Runs a query and hands the first row (if any) to `read`.
    func first<T>(_ read: (Row) -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        return try step() ? read(Row(handle)) : nil
    }

    /// Runs a query and hands every row to `read`.
    func forEach(_ read: (Row) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while try step() { try read(Row(handle)) }
    }

    /// Steps the statement: true when a row is ready, false when done.
    private func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_DONE { return false }
        guard rc == SQLITE_ROW else { throw failure(rc) }
        return true
    }

    /// The error for a failed step, with SQLite's message.
    private func failure(_ rc: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(handle))))
    }

    /// Read access to the current row's columns.
    struct Row {
        let handle: OpaquePointer
        init(_ h: OpaquePointer) { handle = h }
        func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
        func text(_ i: Int32) -> String {
            guard let p = sqlite3_column_text(handle, i) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i))), as: UTF8.self)
        }
        /// A text column's bytes, valid until the next step; empty for NULL.
        func textBytes(_ i: Int32) -> UnsafeRawBufferPointer {
            guard let p = sqlite3_column_text(handle, i) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(handle, i)))
        }
        func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
        func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
        func optionalInt64(_ i: Int32) -> Int64? { isNull(i) ? nil : int64(i) }
        func blob(_ i: Int32) -> [UInt8] {
            let n = Int(sqlite3_column_bytes(handle, i))
            guard n > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: n))
        }
        /// A 32-byte blob without an intermediate array; nil for NULL or another length.
        func bytes32(_ i: Int32) -> Bytes32? {
            guard sqlite3_column_bytes(handle, i) == Bytes32.count, let p = sqlite3_column_blob(handle, i) else { return nil }
            return Bytes32(loading: UnsafeRawBufferPointer(start: p, count: Bytes32.count))
        }
        /// An entry ID column (the schema stores only 32-byte IDs there).
        func entryID(_ i: Int32) -> EntryID { EntryID(raw: bytes32(i)!) }
        /// A public key column (the schema stores only 32-byte keys there).
        func publicKey(_ i: Int32) -> PublicKey { PublicKey(raw: bytes32(i)!) }
    }
}

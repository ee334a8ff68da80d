import GRDB

/// Classifies the store's errors for the layers that answer users, so they can say what went
/// wrong without importing GRDB.
public enum StorageFailure {
    /// Whether `error` is SQLite reporting that the disk is full (`SQLITE_FULL`; SQLite maps
    /// `ENOSPC` from a write to it). Nothing of the failed transaction was stored.
    public static func isDiskFull(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return e.resultCode == .SQLITE_FULL
    }

    /// Whether `error` is SQLite refusing to write because the database, its directory or its
    /// volume is read-only (`SQLITE_READONLY` and its extended codes, or `SQLITE_CANTOPEN` /
    /// `SQLITE_IOERR` from a write on a read-only mount). Nothing of the transaction was stored.
    public static func isReadOnly(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        if e.resultCode == .SQLITE_READONLY { return true }
        return (e.resultCode == .SQLITE_IOERR || e.resultCode == .SQLITE_CANTOPEN) && (e.message ?? "").lowercased().contains("read-only")
    }
}

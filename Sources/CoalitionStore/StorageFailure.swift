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
}

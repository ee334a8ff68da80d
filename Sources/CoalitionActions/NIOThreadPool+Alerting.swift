import CoalitionCore
import NIOPosix

extension NIOThreadPool {
    /// Alerting's thread for the database and the retro-hunt: one, at `nice` +10, apart from the
    /// pools that commit and answer lookups. Building events and scanning the content bank are
    /// background work that must never hold back ingest or a lookup.
    public static let alerting: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        pool.submit { _ in BackgroundWorkers.lowerCurrentThreadPriority(to: BackgroundWorkers.backgroundNiceness) }
        return pool
    }()
}

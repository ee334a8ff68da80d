import CoalitionCore
import Foundation
import NIOPosix
import Synchronization

extension NIOThreadPool {
    /// The Ingestor's threads for large batches: one commits while the other prepares the next
    /// batch. They run at
    /// `nice` +10, as the verifying threads do (``BackgroundWorkers``): storing what peers send
    /// is background work, and must not take the cores from the event loops serving lookups.
    /// SQLite readers never wait for the writer (WAL), so the lower priority delays no query.
    public static let ingest: NIOThreadPool = {
        let threads = 2
        let pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        // Each thread lowers its own priority (Linux keeps the nice value per thread). The jobs
        // wait for each other, so that each of the threads runs one of them.
        let arrived = Atomic<Int>(0)
        for _ in 0..<threads {
            pool.submit { _ in
                BackgroundWorkers.lowerCurrentThreadPriority(to: BackgroundWorkers.backgroundNiceness)
                arrived.add(1, ordering: .relaxed)
                while arrived.load(ordering: .relaxed) < threads { usleep(100) }
            }
        }
        return pool
    }()
}

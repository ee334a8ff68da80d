import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A fixed set of threads, one per core, that run CPU-heavy background work (verifying received
/// entries) at a lower scheduling priority than the threads that serve requests.
///
/// Verification of a large bootstrap keeps every core busy for minutes. At the same priority as
/// SwiftNIO's event loops, each lookup then waits for a time slice behind the verifying threads;
/// at `nice` +10 the scheduler gives a runnable event loop about ten times their share, so
/// lookups are answered at once and verification takes whatever the cores have left. The
/// priority is set per thread (Linux keeps the nice value per thread), so nothing else in
/// the process is slowed.
public final class BackgroundWorkers: @unchecked Sendable {
    /// The process's workers: one per core, at `nice` +10.
    public static let shared = BackgroundWorkers(threads: ProcessInfo.processInfo.activeProcessorCount, niceness: backgroundNiceness)

    /// The nice value of Coalition's background threads (these, and the ingest pool's).
    public static let backgroundNiceness: Int32 = 10

    /// Lowers the calling thread's priority to `niceness` (0 leaves it). Linux keeps the nice
    /// value per thread (`who` 0 is the calling thread), so the rest of the process keeps its own.
    public static func lowerCurrentThreadPriority(to niceness: Int32) {
        #if canImport(Glibc)
        if niceness != 0 { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness) }
        #endif
    }

    /// Threads in the pool.
    public let threadCount: Int

    /// Guards `jobs`; signalled when a job starts and when a worker leaves one.
    private let condition = NSCondition()
    /// The jobs being run, oldest first; workers take the iterations of the first that has any
    /// left, so that a small batch waits for a large one's remaining iterations at most.
    private var jobs: [Job] = []

    private final class Job: @unchecked Sendable {
        let iterations: Int
        let body: (Int) -> Void
        let next = Atomic<Int>(0)
        /// Workers running iterations of this job (guarded by `condition`). The job ends, and
        /// its closure is released, only once every iteration was taken and no worker holds it.
        var holders = 0

        init(iterations: Int, body: @escaping (Int) -> Void) {
            self.iterations = iterations
            self.body = body
        }

        var exhausted: Bool { next.load(ordering: .relaxed) >= iterations }
    }

    /// Starts `threads` threads at the given niceness (0 leaves the priority unchanged).
    public init(threads: Int, niceness: Int32) {
        threadCount = max(1, threads)
        for i in 0..<threadCount {
            let thread = Thread { [self] in
                Self.lowerCurrentThreadPriority(to: niceness)
                work()
            }
            thread.name = "coalition-verify-\(i)"
            thread.start()
        }
    }

    /// Runs `body(0)`, …, `body(iterations - 1)` on the pool's threads, in any order and in
    /// parallel, and returns once all have returned (like `DispatchQueue.concurrentPerform`).
    /// The calling thread only waits: it is not one of the pool's, and keeps its own priority
    /// free for whoever else needs it. Never call it from inside `body`.
    public func perform(iterations: Int, _ body: (Int) -> Void) {
        guard iterations > 0 else { return }
        withoutActuallyEscaping(body) { body in
            condition.lock()
            defer { condition.unlock() }
            let job = Job(iterations: iterations, body: body)
            jobs.append(job)
            condition.broadcast()
            while !(job.exhausted && job.holders == 0) { BlockingWait.wait(condition) }
            jobs.removeAll { $0 === job }
        }
    }

    private func work() {
        condition.lock()
        while true {
            // (The previous iteration's reference to its job ended with that iteration, before
            // this thread lets go of the lock: its caller sees the job end only after that.)
            guard let job = jobs.first(where: { !$0.exhausted }) else {
                BlockingWait.wait(condition)
                continue
            }
            job.holders += 1
            condition.unlock()
            drain(job)
            condition.lock()
            job.holders -= 1
            condition.broadcast()
        }
    }

    /// Runs iterations of `job` until none is left.
    private func drain(_ job: Job) {
        while true {
            let i = job.next.add(1, ordering: .relaxed).oldValue
            guard i < job.iterations else { return }
            job.body(i)
        }
    }
}

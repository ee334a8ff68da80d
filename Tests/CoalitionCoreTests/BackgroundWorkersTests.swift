import CoalitionCore
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The low-priority pool runs every iteration exactly once, for several callers at once, and on
/// threads whose nice value is the one asked for.
@Suite struct BackgroundWorkersTests {
    static let workers = BackgroundWorkers(threads: 2, niceness: 7)

    @Test("every iteration runs once, with several callers at once, and results keep their order")
    func iterationsRunOnce() async {
        await withTaskGroup(of: Bool.self) { group in
            for caller in 0..<4 {
                group.addTask {
                    let n = 5_000 + caller
                    let counts = Mutex([Int](repeating: 0, count: n))
                    Self.workers.perform(iterations: n) { i in counts.withLock { $0[i] += 1 } }
                    let mapped = Array(0..<n).parallelMap(chunkSize: 7, on: Self.workers) { $0 * 3 + caller }
                    return counts.withLock { $0.allSatisfy { $0 == 1 } } && mapped == (0..<n).map { $0 * 3 + caller }
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    @Test("work runs on the pool's threads at the pool's nice value, not on the caller")
    func niceness() {
        let caller = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let seen = Mutex<Set<Int32>>([])
        Self.workers.perform(iterations: 64) { _ in
            let nice = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            seen.withLock { _ = $0.insert(nice) }
        }
        #expect(seen.withLock { $0 } == [7])
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == caller)
    }

    @Test("zero iterations return at once")
    func empty() {
        Self.workers.perform(iterations: 0) { _ in Issue.record("ran") }
    }
}

import Foundation

/// A task executor that runs each job on a new thread of its own. Work that blocks (a child
/// process awaited, a poll with `usleep`, a node started and waited for) then never holds one of
/// the cooperative pool's threads, of which a two-core machine has two.
public final class OwnThreadExecutor: TaskExecutor {
    public static let shared = OwnThreadExecutor()

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread { job.runSynchronously(on: executor) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// At most `limit` holders at once; the others wait without holding a thread.
public actor Slots {
    private let limit: Int
    private var held = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public init(limit: Int) { self.limit = limit }

    public func acquire() async {
        if held < limit {
            held += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    public func release() {
        if waiting.isEmpty { held -= 1 } else { waiting.removeFirst().resume() }
    }
}

/// Integration tests that start node processes: at most three at once, each on threads of
/// its own.
///
/// Swift Testing runs every test of the process as tasks on the cooperative pool. A test that
/// blocks (a CLI run awaited, `eventually` polling, a node waited for) holds one of its two
/// threads, and two such tests starved every async test beside them for over a minute on a
/// loaded machine: a raw peer that could not send its hello, a lookup that could not be
/// scheduled. Here the test's own code runs on ``OwnThreadExecutor`` (task-locals, and so
/// `#expect`, still belong to the test), and the slots bound how many meshes load the machine.
/// A test isolated to an actor (`@MainActor` suites) keeps running there: it gets the slot, not
/// the threads.
public func integrationTest<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async throws -> T {
    await integrationSlots.acquire()
    do {
        let result = try await withTaskExecutorPreference(OwnThreadExecutor.shared, isolation: isolation) { try await body() }
        await integrationSlots.release()
        return result
    } catch {
        await integrationSlots.release()
        throw error
    }
}

private let integrationSlots = Slots(limit: 3)

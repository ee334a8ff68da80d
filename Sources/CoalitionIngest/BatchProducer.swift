import CoalitionCore
import CoalitionStore
import Dispatch
import Synchronization

/// Prepares (decodes and verifies) the batches of an ingest one after the other on a background
/// thread, up to ``lookahead`` batches ahead of the thread that commits them.
///
/// Running ahead matters when one commit takes longer than verifying the next batch, as the
/// commit that builds a bulk load's indexes does: with only the next batch in flight, the
/// verifying cores would wait for that commit; with more, they go on to the batches after it.
final class BatchProducer: @unchecked Sendable {
    /// How many prepared batches may wait for their commit.
    let lookahead: Int

    private let slots: [Slot]
    private let room: DispatchSemaphore
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchGroup()

    /// Starts preparing `count` batches in order; `prepare(k)` prepares batch `k`.
    init(count: Int, lookahead: Int, prepare: @escaping @Sendable (Int) -> EntryStore.PreparedBatch) {
        self.lookahead = max(1, lookahead)
        self.slots = (0..<count).map { _ in Slot() }
        // Created empty and then signalled: libdispatch traps when a semaphore is freed holding
        // less than its initial value, which an early ``stop()`` leaves it with.
        self.room = DispatchSemaphore(value: 0)
        for _ in 0..<self.lookahead { room.signal() }
        done.enter()
        DispatchQueue.global().async { [self] in
            defer { done.leave() }
            for k in 0..<count {
                BlockingWait.wait(room)
                if stopped.load(ordering: .acquiring) { return }
                slots[k].deliver(prepare(k))
            }
        }
    }

    /// Blocks until batch `k` is prepared and hands it over, making room for one more.
    /// Batches must be taken in order, each once.
    func take(_ k: Int) -> EntryStore.PreparedBatch {
        let batch = slots[k].take()
        room.signal()
        return batch
    }

    /// Stops preparing further batches and waits until the background thread has returned
    /// (a batch being verified is finished first). Call it once the committing loop exits.
    func stop() {
        stopped.store(true, ordering: .releasing)
        for _ in 0..<lookahead { room.signal() }
        BlockingWait.wait(done)
    }

    /// One batch, handed from the preparing thread to the committing one.
    private final class Slot: @unchecked Sendable {
        private let ready = DispatchSemaphore(value: 0)
        private var batch: EntryStore.PreparedBatch?

        func deliver(_ batch: EntryStore.PreparedBatch) {
            self.batch = batch
            ready.signal()
        }

        /// Blocks until ``deliver(_:)`` ran; the semaphore orders the write before this read.
        func take() -> EntryStore.PreparedBatch {
            BlockingWait.wait(ready)
            defer { batch = nil }  // the committer frees it after its commit
            return batch!
        }
    }
}

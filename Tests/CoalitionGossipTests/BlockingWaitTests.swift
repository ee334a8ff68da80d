import CoalitionCore
import Dispatch
import NIOCore
import NIOPosix
import Testing

/// The node forbids blocking waits on SwiftNIO's event loops (its executor); the check must
/// recognise those threads, and nothing else.
@Suite struct BlockingWaitTests {
    @Test("with the node's predicate, waits are forbidden on an event loop and allowed elsewhere")
    func recognisesEventLoops() async throws {
        BlockingWait.forbid { MultiThreadedEventLoopGroup.currentEventLoop != nil }
        #expect(!BlockingWait.isForbiddenHere)
        let onLoop = try await MultiThreadedEventLoopGroup.singleton.next().submit { BlockingWait.isForbiddenHere }.get()
        #expect(onLoop)
        let onThread = await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: BlockingWait.isForbiddenHere) }
        }
        #expect(!onThread)
        // A wait off the loops goes through. (Created empty: libdispatch traps when a semaphore
        // is freed holding less than its initial value.)
        let semaphore = DispatchSemaphore(value: 0)
        semaphore.signal()
        BlockingWait.wait(semaphore)
    }

    #if DEBUG
    @Test("a blocking wait on an event loop traps in a debug build")
    func trapsOnAnEventLoop() async {
        await #expect(processExitsWith: .failure) {
            BlockingWait.forbid { MultiThreadedEventLoopGroup.currentEventLoop != nil }
            let semaphore = DispatchSemaphore(value: 0)
            semaphore.signal()
            _ = try? await MultiThreadedEventLoopGroup.singleton.next().submit { BlockingWait.wait(semaphore) }.get()
        }
    }
    #endif
}

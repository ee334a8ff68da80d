import Dispatch
import Foundation
import Synchronization

/// The one place where Coalition's code blocks its thread waiting for another.
///
/// Blocking is only safe on a thread that nothing else needs. A node makes SwiftNIO's event
/// loops the global executor (`NodeDaemon.runTasksOnEventLoops`), so a wait there stalls every
/// connection and task of that loop, and a wait for work that needs the same loop never
/// returns. The node installs a predicate that recognises those threads (``forbid(when:)``);
/// each wait here then checks it and traps, in debug builds, naming the caller. Tests run the
/// debug build, so a blocking call that reaches an event loop fails them. Futures are never
/// waited on at all: `await future.get()` instead (a source test checks that no `.wait()` is
/// called outside this file).
public enum BlockingWait {
    private static let forbidden = Mutex<(@Sendable () -> Bool)?>(nil)

    /// Declares the threads on which no wait may happen (SwiftNIO's event loops, in a node).
    public static func forbid(when predicate: @escaping @Sendable () -> Bool) {
        forbidden.withLock { $0 = predicate }
    }

    /// Whether the current thread is one on which waiting is forbidden.
    public static var isForbiddenHere: Bool {
        forbidden.withLock { $0 }?() ?? false
    }

    /// Waits for `semaphore`. In debug builds, traps on a thread where waits are forbidden.
    public static func wait(_ semaphore: DispatchSemaphore, file: StaticString = #fileID, line: UInt = #line) {
        check(file: file, line: line)
        semaphore.wait()
    }

    /// Waits for `group`. In debug builds, traps on a thread where waits are forbidden.
    public static func wait(_ group: DispatchGroup, file: StaticString = #fileID, line: UInt = #line) {
        check(file: file, line: line)
        group.wait()
    }

    /// Waits for `condition`, which the caller has locked. In debug builds, traps on a thread
    /// where waits are forbidden.
    public static func wait(_ condition: NSCondition, file: StaticString = #fileID, line: UInt = #line) {
        check(file: file, line: line)
        condition.wait()
    }

    private static func check(file: StaticString, line: UInt) {
        assert(!isForbiddenHere, "blocking wait on a SwiftNIO event loop (the node's executor): move this work to a thread pool", file: file, line: line)
    }
}

import Foundation

/// Runs blocking or CPU-heavy work (hashing a video, waiting for a child process) on a thread of
/// its own and awaits its result. Swift Testing runs every test of the process on the cooperative
/// pool, one thread per core: a test that blocks one of them for minutes starves the async tests
/// beside it (a live server's handlers among them) on a two-core machine.
public func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

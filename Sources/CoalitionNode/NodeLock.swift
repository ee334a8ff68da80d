import CoalitionCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The claim of one running node on its data directory: an exclusive `flock` on `node.lock`,
/// which holds the owner's process ID.
///
/// The kernel drops the lock when the process ends, however it ends (`kill -9`, an OOM kill,
/// a crash), so a node that did not stop cleanly never keeps the next one from starting; and a
/// second `coalition run` on a directory in use is refused with the owner's PID instead of
/// fighting it for ports and sockets. The lock is held until the value is freed.
public final class NodeLock: Sendable {
    /// The lock file's name inside the data directory.
    public static let fileName = "node.lock"

    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Takes the lock of the data directory at `directory`, without waiting.
    /// - Throws: `CoalitionError(.configuration)` when another process holds it ("another node is
    ///   already running … (pid N)"), or when the lock file cannot be opened.
    public static func acquire(directory: String) throws(CoalitionError) -> NodeLock {
        let path = directory + "/" + fileName
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CoalitionError(.configuration, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let owner = Self.owner(fd)
            close(fd)
            if reason == EWOULDBLOCK {
                let pid = owner.map { "pid \($0)" } ?? "pid unknown"
                throw CoalitionError(.configuration, "another node is already running on \(directory) (\(pid)); stop it first, or give this one its own --data-dir")
            }
            throw CoalitionError(.configuration, "cannot lock \(path): \(String(cString: strerror(reason)))")
        }
        var text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeMutableBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return NodeLock(descriptor: fd)
    }

    /// The PID the lock file names, if it names one.
    private static func owner(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

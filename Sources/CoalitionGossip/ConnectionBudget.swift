import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many accepted connections this process may hold at once, shared by its listeners, so
/// that connections never take the last file descriptors.
///
/// Running out of descriptors is not only a refused `accept`: SQLite cannot open its files, and
/// libdispatch's worker monitor, which opens `/proc/self/task/<tid>/stat`, crashes the process
/// when it cannot (`_dispatch_workq_monitor_pools`). So accepted connections stop `reserve`
/// descriptors short of the soft `RLIMIT_NOFILE`, counted from what the process held when the
/// budget was made; ``AcceptOverloadHandler`` closes any connection beyond it at once and pauses
/// accepting, as it does when `accept` itself fails.
public final class ConnectionBudget: Sendable {
    /// The most accepted connections held at once.
    public let limit: Int
    private let open = NIOLockedValueBox(0)

    /// - Parameters:
    ///   - limit: the most connections; by default what the descriptor limit leaves after the
    ///     descriptors open now and `reserve` more (at least 4).
    ///   - reserve: descriptors kept free for the store, `/proc` reads, outbound peers and logs.
    public init(limit: Int? = nil, reserve: Int = 32) {
        self.limit = limit ?? max(4, Self.softDescriptorLimit() - Self.descriptorsInUse() - reserve)
    }

    /// Takes one connection's place.
    /// - Returns: false, taking nothing, when the budget is spent.
    public func admit() -> Bool {
        open.withLockedValue { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    /// Gives back a place taken by ``admit()``.
    public func release() {
        open.withLockedValue { $0 = max(0, $0 - 1) }
    }

    /// The connections held now.
    public var inUse: Int { open.withLockedValue { $0 } }

    static func softDescriptorLimit() -> Int {
        var r = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &r) == 0 else { return 1024 }
        let soft = UInt64(r.rlim_cur)
        return soft >= UInt64(Int.max / 2) ? Int.max / 2 : Int(soft)
    }

    static func descriptorsInUse() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.count ?? 64)
    }
}

import CoalitionCrypto
import Synchronization

/// This node's member keys in memory: the current one, which signs, and those it rotated away
/// from, which only open entries sealed to them. Shared by every copy of a ``NodeDirectory``, so
/// that a rotation made by the daemon is seen by everything that signs for it.
public final class MemberKeys: Sendable {
    private let keys: Mutex<(current: Signer, retired: [Signer])>

    init(current: Signer, retired: [Signer]) {
        keys = Mutex((current, retired))
    }

    /// The key that signs this node's entries.
    public var current: Signer { keys.withLock { $0.current } }

    /// The keys this node rotated away from, newest first.
    public var retired: [Signer] { keys.withLock { $0.retired } }

    /// Makes `next` current; the old current key is retired.
    func adopt(_ next: Signer) {
        keys.withLock { k in
            k.retired.insert(k.current, at: 0)
            k.current = next
        }
    }
}

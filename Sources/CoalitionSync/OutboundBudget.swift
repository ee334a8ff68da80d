/// The byte budget of one peer's outbound queue (§13.6). Pushes are queued until the connection
/// can take them; when a slow peer lets the queue reach its limit, the queued pushes are dropped
/// and the peer is marked for digest sync instead, so memory stays bounded whatever the peer does.
public struct OutboundBudget: Sendable, Equatable {
    /// The limit in bytes.
    public let limit: Int
    /// Bytes queued now.
    public private(set) var queued = 0
    /// True after an overflow, until the session has re-sent its heads.
    public private(set) var needsDigestSync = false
    /// Pushes dropped by overflows so far.
    public private(set) var dropped = 0

    public init(limit: Int) { self.limit = limit }

    /// Asks to queue `bytes`. Returns false, and marks the peer for digest sync, if the queue is
    /// full; the caller then drops everything queued (``overflowed(droppingQueued:)``).
    public mutating func admit(_ bytes: Int) -> Bool {
        guard !needsDigestSync else { dropped += 1; return false }
        guard queued + bytes <= limit else {
            needsDigestSync = true
            dropped += 1
            return false
        }
        queued += bytes
        return true
    }

    /// The queued items were dropped after an overflow.
    public mutating func overflowed(droppingQueued count: Int) {
        dropped += count
        queued = 0
    }

    /// `bytes` left the queue (written to the connection).
    public mutating func sent(_ bytes: Int) {
        queued = max(0, queued - bytes)
    }

    /// The digest sync that replaces the dropped pushes has been started.
    public mutating func digestSyncStarted() {
        needsDigestSync = false
    }
}

/// Whether a signal is in force: the one rule every layer applies (the merged state, the store's
/// rows, lookups and views).
///
/// A retraction by its author ends a signal for good; otherwise it is active until its
/// `expiresAt` (milliseconds since the epoch), exclusive. A signal without an expiry stays
/// active until retracted.
public enum SignalStatus: String, Sendable, Hashable, CaseIterable {
    case active
    case retracted
    case expired

    /// The status at `now` (ms since the epoch) of a signal that expires at `expiresAt`.
    @inlinable
    public init(retracted: Bool, expiresAt: Int64?, now: Int64) {
        if retracted {
            self = .retracted
        } else if let e = expiresAt, now >= e {
            self = .expired
        } else {
            self = .active
        }
    }

    /// Whether the signal counts as a match for lookups that leave inactive signals out.
    @inlinable
    public var isActive: Bool { self == .active }
}

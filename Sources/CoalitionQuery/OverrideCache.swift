import CoalitionCore
import CoalitionStore
import Foundation
import NIOConcurrencyHelpers

/// The local overrides as an in-memory snapshot, re-read when it is more than `lifetime`
/// seconds old (one by default; overrides are few) or when this process changed one, so a
/// lookup does not read the database for them.
final class OverrideCache: Sendable {
    private let overrides: OverrideStore
    private let lifetime: Double
    private let snapshot = NIOLockedValueBox<(byKey: [String: LocalOverride], at: Double)?>(nil)

    init(overrides: OverrideStore, lifetime: Double = 1) {
        self.overrides = overrides
        self.lifetime = lifetime
    }

    func get(kind: SignalKind, value: String, now: Double = Date().timeIntervalSince1970) throws -> LocalOverride? {
        if let s = snapshot.withLockedValue({ $0 }), now - s.at < lifetime { return s.byKey[Self.key(kind.name, value)] }
        let all = try overrides.list()
        let byKey = Dictionary(all.map { (Self.key($0.kind, $0.value), $0) }, uniquingKeysWith: { a, _ in a })
        snapshot.withLockedValue { $0 = (byKey, now) }
        return byKey[Self.key(kind.name, value)]
    }

    /// A value's override from the snapshot without reading the database: nil when the
    /// snapshot is missing or stale; otherwise the override, if any.
    func cached(kind: SignalKind, value: String, now: Double = Date().timeIntervalSince1970) -> Cached? {
        guard let s = snapshot.withLockedValue({ $0 }), now - s.at < lifetime else { return nil }
        return Cached(override: s.byKey[Self.key(kind.name, value)])
    }

    /// A snapshot's answer for one value.
    struct Cached {
        var override: LocalOverride?
        var action: LocalOverride.Action? { override?.action }
    }

    /// Forgets the snapshot after this process set or removed an override.
    func invalidate() { snapshot.withLockedValue { $0 = nil } }

    private static func key(_ kind: String, _ value: String) -> String { kind + "\u{0}" + value }
}

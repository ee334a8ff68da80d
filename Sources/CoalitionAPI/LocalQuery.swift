import CoalitionCrypto
import CoalitionStore

/// The API's lookup and text matching, run directly on a store: what `coalition lookup` and
/// `coalition match-text` use. Errors are ``Problem``s naming the offending field.
public struct LocalQuery: Sendable {
    let handlers: APIHandlers

    public init(store: EntryStore, names: @escaping @Sendable (PublicKey) -> String, configuration: APIConfiguration = .init()) {
        handlers = APIHandlers(env: APIEnvironment(store: store, tokens: TokenStore(database: store.database), names: names),
                               configuration: configuration)
    }

    /// Looks up one value (see `POST /v1/lookup`).
    public func lookup(kind: String, value: String, distance: Int? = nil, minQuality: Int? = nil, includeInactive: Bool = false) throws -> LookupResult {
        try handlers.lookup(LookupItem(kind: kind, value: value),
                            handlers.options(distance: distance, minQuality: minQuality, includeInactive: includeInactive))
    }

    /// The trend signals found in `text` (see `POST /v1/match/text`).
    public func matchText(_ text: String, includeInactive: Bool = false) throws -> [TextMatch] {
        try handlers.matchText(TextMatchRequest(text: text, includeInactive: includeInactive)).matches
    }
}

import CoalitionStore
import Hummingbird

/// One `{kind, value}` to look up.
public struct LookupItem: Codable, Sendable {
    public var kind: String
    public var value: String
}

/// `POST /v1/lookup`.
public struct LookupRequest: Codable, Sendable {
    public var items: [LookupItem]
    /// PDQ only: the largest Hamming distance (default 31, at most 64).
    public var distance: Int?
    /// PDQ only: the smallest quality score of a stored hash.
    public var minQuality: Int?
    /// Include retracted and expired signals.
    public var includeInactive: Bool?
}

/// A stored signal that matched, with the PDQ distance when it applies.
public struct SignalMatch: Codable, Sendable {
    public var distance: Int?
    public var signal: SignalView
}

/// The answer for one item.
public struct LookupResult: Codable, Sendable {
    public var kind: String
    public var value: String
    /// The value as compared (canonical URL, lowercase hex…).
    public var canonical: String
    public var matches: [SignalMatch]
    /// This node's local override of the value, if any (`ignore` or `flag`).
    public var override: String?
    /// The answer to act on: true when an active signal matched (and was not ignored locally),
    /// or the value is flagged locally.
    public var flagged: Bool
}

/// `PUT /v1/overrides`.
public struct OverrideRequest: Codable, Sendable {
    public var kind: String
    public var value: String
    /// `ignore` or `flag`.
    public var action: String
    public var note: String?
}

public struct OverrideList: ResponseCodable, Sendable {
    public var overrides: [LocalOverride]
}

extension LocalOverride: ResponseEncodable {}

public struct LookupResponse: ResponseCodable, Sendable {
    public var results: [LookupResult]
}

/// `POST /v1/match/text`.
public struct TextMatchRequest: Codable, Sendable {
    public var text: String
    public var includeInactive: Bool?
}

public struct TextMatch: Codable, Sendable {
    /// The folded words of the text that matched.
    public var matched: String
    public var signal: SignalView
}

public struct TextMatchResponse: ResponseCodable, Sendable {
    public var matches: [TextMatch]
}

public struct SignalList: ResponseCodable, Sendable {
    public var signals: [SignalView]
    /// Pass as `cursor` for the next page; absent on the last page.
    public var nextCursor: String?
}

public struct ChangeView: Codable, Sendable {
    public var cursor: Int64
    /// `added`, `retracted`, `opinion`, `readable` (a restricted signal this node can read),
    /// `equivocation` or `rotation`.
    public var kind: String
    public var signal: String?
    public var entry: String
    public var at: String
}

public struct ChangeFeed: ResponseCodable, Sendable {
    public var changes: [ChangeView]
    /// The cursor to pass as `after` next time (unchanged when there was nothing new).
    public var nextCursor: Int64
}

/// `POST /v1/signals/{id}/opinions`.
public struct OpinionRequest: Codable, Sendable {
    public var stance: String
    public var note: String?
}

public struct Health: ResponseCodable, Sendable {
    public var status: String
}

extension SignalView: ResponseEncodable {}

import CoalitionQuery
import CoalitionStore
import Hummingbird

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

public struct LookupResponse: ResponseCodable, Sendable {
    public var results: [LookupResult]
    /// With `register=true`: how many of the values were new in the content bank.
    public var registered: Int? = nil
}

/// `POST /v1/match/text`.
public struct TextMatchRequest: Codable, Sendable {
    public var text: String
    public var includeInactive: Bool?
}

public struct TextMatchResponse: ResponseCodable, Sendable {
    public var matches: [TextMatch]
}

/// `POST /v1/signals/{id}/opinions`.
public struct OpinionRequest: Codable, Sendable {
    public var stance: String
    public var note: String?
}

public struct Health: ResponseCodable, Sendable {
    public var status: String
}

// The query layer's values are the API's answers as they are.
extension LocalOverride: ResponseEncodable {}
extension SignalView: ResponseEncodable {}
extension SignalList: ResponseEncodable {}
extension ChangeFeed: ResponseEncodable {}

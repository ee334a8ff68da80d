/// One `{kind, value}` to look up.
public struct LookupItem: Codable, Sendable {
    public var kind: String
    public var value: String

    public init(kind: String, value: String) {
        self.kind = kind
        self.value = value
    }
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

/// A trend signal found in a text.
public struct TextMatch: Codable, Sendable {
    /// The folded words of the text that matched.
    public var matched: String
    public var signal: SignalView
}

/// One page of signals, newest first.
public struct SignalList: Codable, Sendable {
    public var signals: [SignalView]
    /// Pass as `cursor` for the next page; absent on the last page.
    public var nextCursor: String?
}

/// One change of the merged state, as the change feed shows it.
public struct ChangeView: Codable, Sendable {
    public var cursor: Int64
    /// `added`, `retracted`, `opinion`, `readable` (a restricted signal this node can read),
    /// `equivocation` or `rotation`.
    public var kind: String
    public var signal: String?
    public var entry: String
    public var at: String
}

/// One page of the change feed.
public struct ChangeFeed: Codable, Sendable {
    public var changes: [ChangeView]
    /// The cursor to pass as `after` next time (unchanged when there was nothing new).
    public var nextCursor: Int64
}

// TEMPORARY stub until the real canonicalisers land.
public struct CanonicalizationFailure: Error, Sendable, Equatable { public let reason: String; public init(reason: String) { self.reason = reason } }
public enum URLCanonicalizer { public static func canonicalize(_ input: String) throws(CanonicalizationFailure) -> String { input.lowercased() } }
public enum TrendCanonicalizer { public static func canonicalize(_ input: String) throws(CanonicalizationFailure) -> String { input.lowercased() } }

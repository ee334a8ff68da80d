/// The codes of one family of ``Failure``s: stable identifiers, compared by value.
public protocol FailureCode: Hashable, Sendable, CustomStringConvertible {
    /// Whether a failure's description leads with its code (`decryption-failed: …`, as wire and
    /// crypto failures are logged) when it names no field. Input failures lead with the field
    /// (`value: …`) and otherwise show only the message.
    static var descriptionLeadsWithCode: Bool { get }
}

/// The one error shape of Coalition's modules, after swift-certificates' `CertificateError`: a
/// stable ``code`` to compare by, a ``message`` for people, the ``field`` at fault when there
/// is one (so the CLI and the API can say exactly what to fix), and the ``underlying`` error
/// that caused it, when one did.
///
/// Each module family has its own code type (``CryptoError``, `CoalitionError`, `WireError`
/// are this type with different codes); equality compares codes only.
public struct Failure<Code: FailureCode>: Error, Sendable, Equatable, CustomStringConvertible {
    public typealias Code = Code
    /// What went wrong, stable across releases.
    public let code: Code
    /// A human-readable explanation.
    public let message: String
    /// The field at fault, if any (`value`, `items[3].kind`, `signature`, …).
    public let field: String?
    /// The error this one reports, when it wraps one (a SQLite error, a libsodium failure, …).
    public let underlying: (any Error)?

    /// Creates a failure.
    public init(_ code: Code, _ message: String, field: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.underlying = underlying
    }

    public static func == (a: Self, b: Self) -> Bool { a.code == b.code }

    public var description: String {
        if let field { return "\(field): \(message)" }
        return Code.descriptionLeadsWithCode ? "\(code): \(message)" : message
    }

    /// The description followed by the chain of underlying errors, for logs.
    public var detailedDescription: String {
        guard let underlying else { return description }
        let cause = (underlying as? any DetailedFailure)?.detailedDescription ?? String(describing: underlying)
        return "\(description) (caused by: \(cause))"
    }
}

/// A ``Failure`` of any code family, for walking chains of underlying errors.
public protocol DetailedFailure: Error {
    var detailedDescription: String { get }
}

extension Failure: DetailedFailure {}

import CoalitionCore
import CoalitionCrypto
import Foundation

/// Signs webhook deliveries as the Standard Webhooks specification describes: the
/// `webhook-signature` header is `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body` under
/// the endpoint's secret. Secrets are written `whsec_` + base64 of 32 random bytes.
///
/// The secret's bytes are wiped when the signer is freed.
public final class WebhookSigner: Sendable {
    private let key: [UInt8]

    /// - Throws: `CoalitionError(.invalidField)` when `secret` is not `whsec_` + base64 of
    ///   16–64 bytes.
    public init(secret: String) throws(CoalitionError) {
        let text = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let data = Data(base64Encoded: text), (16...64).contains(data.count) else {
            throw CoalitionError(.invalidField, "a webhook secret is 'whsec_' followed by the base64 of 16–64 bytes", field: "secret")
        }
        key = Array(data)
    }

    deinit {
        var k = key
        Memory.wipe(&k)
    }

    /// A new random secret, in the `whsec_…` form.
    public static func newSecret() -> String {
        var bytes = SecureRandom.bytes(32)
        defer { Memory.wipe(&bytes) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }

    /// The `webhook-signature` header for one delivery.
    /// - Parameter timestamp: seconds since the epoch, as sent in `webhook-timestamp`.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        let tag = HMACSHA256.authenticate(key: key, Array("\(id).\(timestamp).".utf8), body)
        return "v1," + Data(tag).base64EncodedString()
    }

    /// Whether `header` (space-separated `v1,…` signatures) holds a valid signature of the
    /// delivery: what a receiver checks.
    public func verify(id: String, timestamp: Int64, body: [UInt8], header: String) -> Bool {
        let expected = HMACSHA256.authenticate(key: key, Array("\(id).\(timestamp).".utf8), body)
        return header.split(separator: " ").contains { part in
            guard part.hasPrefix("v1,"), let tag = Data(base64Encoded: String(part.dropFirst(3))) else { return false }
            return HMACSHA256.equal(Array(tag), expected)
        }
    }
}

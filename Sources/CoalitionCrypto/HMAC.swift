import CSodium

/// HMAC-SHA256 (RFC 2104), as Standard Webhooks signs deliveries, through libsodium.
public enum HMACSHA256 {
    /// The tag's length in bytes.
    public static let byteCount = 32

    /// The HMAC-SHA256 of the concatenated `parts` under `key` (a key of any length).
    public static func authenticate(key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        Sodium.ensureInitialized()
        var state = crypto_auth_hmacsha256_state()
        defer { withUnsafeMutableBytes(of: &state) { sodium_memzero($0.baseAddress!, $0.count) } }
        precondition(!key.isEmpty, "an HMAC key must not be empty")
        _ = key.withUnsafeBufferPointer { crypto_auth_hmacsha256_init(&state, $0.baseAddress!, $0.count) }
        for p in parts where !p.isEmpty {
            _ = p.withUnsafeBufferPointer { crypto_auth_hmacsha256_update(&state, $0.baseAddress, UInt64($0.count)) }
        }
        var tag = [UInt8](repeating: 0, count: byteCount)
        _ = tag.withUnsafeMutableBufferPointer { crypto_auth_hmacsha256_final(&state, $0.baseAddress!) }
        return tag
    }

    /// Compares two tags in constant time.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count, !a.isEmpty else { return false }
        return a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in sodium_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }
}

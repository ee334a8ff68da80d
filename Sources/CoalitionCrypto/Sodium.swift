import CSodium

/// One-time initialisation of libsodium.
///
/// Every public entry point of this module calls ``Sodium/ensureInitialized()`` first;
/// `sodium_init` is idempotent and thread-safe, but calling it once keeps the hot paths cheap.
enum Sodium {
    private static let initialized: Bool = {
        sodium_init() >= 0
    }()

    /// Initialises libsodium, stopping the process if the library cannot start
    /// (that only happens when the system has no usable source of randomness).
    static func ensureInitialized() {
        precondition(initialized, "libsodium failed to initialise (sodium_init < 0)")
    }
}

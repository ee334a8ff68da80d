// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "coalition",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "coalition", targets: ["coalition"]),
        .library(name: "CoalitionCrypto", targets: ["CoalitionCrypto"]),
        .library(name: "CoalitionCore", targets: ["CoalitionCore"]),
        .library(name: "CoalitionStore", targets: ["CoalitionStore"]),
        .library(name: "CoalitionSync", targets: ["CoalitionSync"]),
        .library(name: "CoalitionGossip", targets: ["CoalitionGossip"]),
        .library(name: "CoalitionIngest", targets: ["CoalitionIngest"]),
        .library(name: "CoalitionMatch", targets: ["CoalitionMatch"]),
        .library(name: "CoalitionMedia", targets: ["CoalitionMedia"]),
        .library(name: "CoalitionQuery", targets: ["CoalitionQuery"]),
        .library(name: "CoalitionAlert", targets: ["CoalitionAlert"]),
        .library(name: "CoalitionActions", targets: ["CoalitionActions"]),
        .library(name: "CoalitionAPI", targets: ["CoalitionAPI"]),
        .library(name: "CoalitionDashboard", targets: ["CoalitionDashboard"]),
        .library(name: "CoalitionNode", targets: ["CoalitionNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Already built for Hummingbird; named for NIOHTTPTypes, the HTTP parts its codec passes on.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // libsodium, found through pkg-config; the only C library Coalition links.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        // Keys, signatures, hashes and sealed boxes. The only importer of CSodium; SHA-256 comes
        // from swift-crypto (already built for swift-certificates), which uses the SHA extensions.
        .target(name: "CoalitionCrypto", dependencies: ["CSodium", .product(name: "Crypto", package: "swift-crypto")]),
        // Signals, entries, canonical encoding, validity and the merged CRDT state. No I/O.
        .target(name: "CoalitionCore", dependencies: ["CoalitionCrypto"]),
        // Two C calls Swift cannot make: the variadic sqlite3_config, to tune SQLite before it
        // starts, and glibc's mallopt, to keep freed memory for the next ingest batch.
        .target(name: "CTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SQLite persistence through GRDB.
        .target(
            name: "CoalitionStore",
            dependencies: [
                "CoalitionCore", "CTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The gossip protocol as pure values: wire messages, sync planning, the peer session state
        // machine, queues, backoff and quotas. No I/O, tested without sockets.
        .target(name: "CoalitionSync", dependencies: ["CoalitionCore"]),
        // The transport: SwiftNIO with swift-nio-ssl (TLS 1.3, mutual authentication pinned to
        // member keys), the frame codec, peer sessions, the listener and the dialers. It reads and
        // stores entries only through CoalitionSync's EntrySource and EntryIngest.
        .target(
            name: "CoalitionGossip",
            dependencies: [
                "CoalitionSync",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The ingest pipeline: local policy, verification on all cores and atomic commits (the
        // bulk path for empty stores), on a thread pool; the store as the gossip layer reads it.
        .target(
            name: "CoalitionIngest",
            dependencies: [
                "CoalitionSync", "CoalitionStore",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The media decoders, one system library each (Debian's -dev packages, found by pkg-config
        // where the package ships a .pc file). Only CoalitionMedia imports them.
        .systemLibrary(name: "CJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"]), .brew(["webp"])]),
        .systemLibrary(name: "CGIF", providers: [.apt(["libgif-dev"]), .brew(["giflib"])]),
        .systemLibrary(
            name: "CAV", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"]), .brew(["ffmpeg"])]
        ),
        // Media hashing: untrusted images and videos decoded in memory within limits, PDQ and vPDQ
        // (pure Swift, bit-exact with Meta's reference), MD5 and SHA-256. The only importer of the
        // decoders; the rest of Coalition sees RGBImage, MediaHashes and CoalitionError.
        .target(
            name: "CoalitionMedia",
            dependencies: ["CoalitionCore", "CoalitionCrypto", "CoalitionMatch", "CJPEG", "CPNG", "CWebP", "CGIF", "CAV"]
        ),
        // Lookup indexes and text matching: pure algorithms, no I/O.
        .target(name: "CoalitionMatch", dependencies: ["CoalitionCore"]),
        // "What do we know about X": lookups (exact, PDQ, text), signal views with provenance,
        // lists, the change feed and overrides, for the API, the CLI and the dashboard alike.
        .target(
            name: "CoalitionQuery",
            dependencies: [
                "CoalitionCore", "CoalitionMatch", "CoalitionMedia", "CoalitionStore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Alerting as pure values: events, rules and their filters, the webhook delivery policy
        // (retry, backoff, give up), Standard Webhooks signatures and peer-health transitions.
        .target(name: "CoalitionAlert", dependencies: ["CoalitionCore", "CoalitionCrypto"]),
        // Acting on signals: the content bank and its retro-hunt, the events of the change log,
        // the outbox writer and the webhook deliverers (SwiftNIO HTTP/1.1, TLS verified against
        // the system's trust store), each a Service.
        .target(
            name: "CoalitionActions",
            dependencies: [
                "CoalitionAlert", "CoalitionCore", "CoalitionMatch", "CoalitionQuery", "CoalitionStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP/JSON API (Hummingbird 2) over the query layer: controllers, bearer tokens with
        // scopes, problem+json.
        .target(
            name: "CoalitionAPI",
            dependencies: [
                "CoalitionCore", "CoalitionMedia", "CoalitionQuery", "CoalitionStore", "CoalitionAlert", "CoalitionActions",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The web dashboard under `/ui` on the API listener (server-rendered HTML, sessions from API
        // tokens, CSRF tokens, a strict CSP, every asset in the binary) and the transparency
        // report's HTML.
        .target(
            name: "CoalitionDashboard",
            dependencies: [
                "CoalitionCore", "CoalitionCrypto", "CoalitionStore", "CoalitionQuery", "CoalitionAPI", "CoalitionAlert", "CoalitionActions", "CoalitionGossip",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Configuration, key files, import/export and the daemon's service group: what the CLI
        // and the daemon share.
        .target(
            name: "CoalitionNode",
            dependencies: [
                "CoalitionCore", "CoalitionStore", "CoalitionIngest", "CoalitionGossip", "CoalitionQuery", "CoalitionAPI",
                "CoalitionAlert", "CoalitionActions", "CoalitionDashboard",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "coalition",
            dependencies: [
                "CoalitionCore", "CoalitionNode", "CoalitionQuery", "CoalitionMedia", "CoalitionAlert", "CoalitionActions", "CoalitionDashboard",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Every parser that reads bytes from outside behind one function each, with seeds and a
        // seeded mutation loop: for libFuzzer (`Fuzz/libfuzzer.sh`) and the test suite's short run.
        .target(
            name: "CoalitionFuzz",
            dependencies: [
                "CoalitionCore", "CoalitionCrypto", "CoalitionSync", "CoalitionGossip", "CoalitionQuery", "CoalitionAPI",
                "CoalitionMedia", "CoalitionNode",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "coalition-fuzz",
            dependencies: ["CoalitionFuzz", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Seeded generators shared by the test targets.
        .target(name: "CoalitionTestSupport", dependencies: ["CoalitionCore"], path: "Tests/CoalitionTestSupport"),
        .testTarget(name: "CoalitionCryptoTests", dependencies: ["CoalitionCrypto", "CoalitionTestSupport"]),
        .testTarget(name: "CoalitionCoreTests", dependencies: ["CoalitionCore", "CoalitionTestSupport"]),
        .testTarget(
            name: "CoalitionStoreTests",
            dependencies: ["CoalitionStore", "CTuning", "CoalitionTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "CoalitionIngestTests",
            dependencies: [
                "CoalitionIngest", "CoalitionStore", "CoalitionSync", "CoalitionTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "CoalitionMediaTests", dependencies: ["CoalitionMedia", "CoalitionMatch", "CoalitionCore", "CoalitionTestSupport"]),
        .testTarget(name: "CoalitionAlertTests", dependencies: ["CoalitionAlert", "CoalitionCore", "CoalitionCrypto", "CoalitionTestSupport"]),
        .testTarget(
            name: "CoalitionActionsTests",
            dependencies: ["CoalitionActions", "CoalitionAlert", "CoalitionQuery", "CoalitionStore", "CoalitionMatch", "CoalitionTestSupport"]
        ),
        .testTarget(name: "CoalitionMatchTests", dependencies: ["CoalitionMatch", "CoalitionTestSupport"]),
        .testTarget(
            name: "CoalitionAPITests",
            dependencies: [
                "CoalitionAPI", "CoalitionQuery", "CoalitionMedia", "CoalitionTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(name: "CoalitionQueryTests", dependencies: ["CoalitionQuery", "CoalitionStore", "CoalitionMedia", "CoalitionMatch", "CoalitionTestSupport"]),
        .testTarget(name: "CoalitionSyncTests", dependencies: ["CoalitionSync", "CoalitionTestSupport"]),
        .testTarget(
            name: "CoalitionGossipTests",
            dependencies: [
                "CoalitionGossip", "CoalitionIngest", "CoalitionStore", "CoalitionSync", "CoalitionTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "CoalitionFuzzTests", dependencies: ["CoalitionFuzz"]),
        .testTarget(
            name: "CoalitionDashboardTests",
            dependencies: ["CoalitionDashboard", "CoalitionQuery", "CoalitionStore", "CoalitionCore", "CoalitionCrypto"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "CoalitionNode", "CoalitionGossip", "CoalitionSync", "CoalitionTestSupport", "coalition",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
    ]
)

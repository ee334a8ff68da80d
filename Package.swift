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
        .library(name: "CoalitionNode", targets: ["CoalitionNode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // libsodium, found through pkg-config; the only C library Coalition links.
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"]), .brew(["libsodium"])]
        ),
        // Keys, signatures, hashes and sealed boxes. The only importer of CSodium.
        .target(name: "CoalitionCrypto", dependencies: ["CSodium"]),
        // Signals, entries, canonical encoding, validity and the merged CRDT state. No I/O.
        .target(name: "CoalitionCore", dependencies: ["CoalitionCrypto"]),
        // One C call Swift cannot make (variadic sqlite3_config), to tune SQLite before it starts.
        .target(name: "CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SQLite persistence through GRDB.
        .target(
            name: "CoalitionStore",
            dependencies: [
                "CoalitionCore", "CSQLiteTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Configuration, key files, import/export: what the CLI and the daemon share.
        .target(
            name: "CoalitionNode",
            dependencies: [
                "CoalitionCore", "CoalitionStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "coalition",
            dependencies: [
                "CoalitionNode",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Seeded generators shared by the test targets.
        .target(name: "CoalitionTestSupport", dependencies: ["CoalitionCore"], path: "Tests/CoalitionTestSupport"),
        .testTarget(name: "CoalitionCryptoTests", dependencies: ["CoalitionCrypto"]),
        .testTarget(name: "CoalitionCoreTests", dependencies: ["CoalitionCore", "CoalitionTestSupport"]),
        .testTarget(
            name: "CoalitionStoreTests",
            dependencies: ["CoalitionStore", "CoalitionTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["CoalitionNode", "coalition"]
        ),
    ]
)

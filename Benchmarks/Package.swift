// swift-tools-version:6.0
// Benchmarks live in their own package so the test suite and CI never build them.
// Run from the repository root:  swift run -c release --package-path Benchmarks coalition-bench ingest
import PackageDescription

let package = Package(
    name: "coalition-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "coalition", path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .executableTarget(
            name: "coalition-bench",
            dependencies: [
                .product(name: "CoalitionCore", package: "coalition"),
                .product(name: "CoalitionCrypto", package: "coalition"),
                .product(name: "CoalitionStore", package: "coalition"),
                .product(name: "CoalitionGossip", package: "coalition"),
                .product(name: "CoalitionIngest", package: "coalition"),
                .product(name: "CoalitionNode", package: "coalition"),
                .product(name: "CoalitionMatch", package: "coalition"),
                .product(name: "CoalitionMedia", package: "coalition"),
                .product(name: "CoalitionActions", package: "coalition"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/CoalitionBenchmarks"
        ),
    ]
)

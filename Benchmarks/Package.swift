// swift-tools-version:6.0
// Benchmarks live in their own package so the test suite and CI never build them.
// Run from the repository root:  swift run -c release --package-path Benchmarks coalition-bench ingest
import PackageDescription

let package = Package(
    name: "coalition-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "coalition", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "coalition-bench",
            dependencies: [
                .product(name: "CoalitionCore", package: "coalition"),
                .product(name: "CoalitionCrypto", package: "coalition"),
                .product(name: "CoalitionStore", package: "coalition"),
            ],
            path: "Sources/CoalitionBenchmarks"
        ),
    ]
)

import ArgumentParser
import CoalitionFuzz
import Foundation

// Two builds of one program. The plain build runs the seeded mutation loop (`coalition-fuzz run`).
// The libFuzzer build (`Fuzz/libfuzzer.sh`, which compiles with `-sanitize=fuzzer -D LIBFUZZER`)
// has no main of its own: libFuzzer's drives the target named by COALITION_FUZZ_TARGET.

#if LIBFUZZER
nonisolated(unsafe) private var selected: FuzzTarget?

/// libFuzzer's driver (FuzzerDriver.cpp): parses its flags from argv and runs `callback`.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable's `main` as `<module>_main`; libFuzzer's own `main` is then not
/// linked in, so this one starts its driver.
@_cdecl("coalition_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Int32 {
    let name = ProcessInfo.processInfo.environment["COALITION_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget.named(name) else {
        FileHandle.standardError.write(Data("set COALITION_FUZZ_TARGET to one of: \(FuzzTarget.all.map(\.name).joined(separator: ", "))\n".utf8))
        return 2
    }
    selected = target
    var argc = argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return runDriver(&argc, &argv) { data, size in
        guard let target = selected else { return 0 }
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: min(size, target.maxInputBytes))) } ?? []
        do throws(FuzzFinding) {
            _ = try target.run(bytes)
        } catch {
            fatalError("\(target.name): \(error.description)")
        }
        return 0
    }
}
#else
@main
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coalition-fuzz",
        abstract: "Feeds mutated inputs to Coalition's parsers: frames, wire messages, entries, exports, imports, configuration, API bodies, media.",
        discussion: """
            Each target is one parser behind one function. A finding is a crash, a hang, a refusal with no message, \
            or a broken invariant (a message that does not round-trip, two parsers that disagree, a canonical \
            form that is not idempotent). This build runs a seeded mutation loop; Fuzz/libfuzzer.sh builds the \
            same targets for libFuzzer, coverage-guided. See docs/reliability.md.
            """,
        subcommands: [List.self, Run.self, Seed.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists the targets and what each feeds its input to.")

        func run() {
            for t in FuzzTarget.all { print("\(t.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(t.summary)") }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Runs one target's seeds and corpus, then mutations of them; exits 1 on a finding.")

        @Argument(help: "The target (see 'coalition-fuzz list'), or 'all'.")
        var target: String
        @Option(help: "Mutated inputs to run (per target).")
        var iterations = 1_000_000
        @Option(help: "The seed of the mutations: the same seed replays the same inputs.")
        var seed: UInt64 = 1
        @Option(help: "A directory of inputs to start from besides the built-in seeds (repeatable); Fuzz/corpus/<target> is read when it exists.")
        var corpus: [String] = []

        func run() throws {
            let targets = target == "all" ? FuzzTarget.all : try [FuzzTarget.named(target).orThrow(ValidationError("no target '\(target)'; targets: \(FuzzTarget.all.map(\.name).joined(separator: ", "))"))]
            var failed = false
            for t in targets {
                var dirs = corpus
                let own = "Fuzz/corpus/\(t.name)"
                if FileManager.default.fileExists(atPath: own) { dirs.append(own) }
                let inputs = try dirs.flatMap { try Self.files(in: $0) }
                let campaign = FuzzCampaign(target: t, corpus: inputs)
                let outcome = campaign.run(iterations: iterations, seed: seed) { print("  \($0)") }
                print(outcome)
                for f in outcome.findings { print("  finding: \(f)") }
                failed = failed || !outcome.findings.isEmpty
            }
            if failed { throw ExitCode(1) }
        }

        static func files(in dir: String) throws -> [[UInt8]] {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                throw ValidationError("cannot read the corpus directory \(dir)")
            }
            return names.sorted().compactMap { name in
                var isDir: ObjCBool = false
                let path = dir + "/" + name
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { return nil }
                return FileManager.default.contents(atPath: path).map { [UInt8]($0) }
            }
        }
    }

    struct Seed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Writes each target's built-in seeds as files, a starting corpus for libFuzzer.")

        @Argument(help: "The directory to write <target>/seed-N into.")
        var directory: String

        func run() throws {
            for t in FuzzTarget.all {
                let dir = directory + "/" + t.name
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for (i, s) in t.seeds().enumerated() {
                    try Data(s).write(to: URL(fileURLWithPath: dir + "/seed-\(i)"))
                }
                print("\(t.name): \(t.seeds().count) seeds in \(dir)")
            }
        }
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> some Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
#endif

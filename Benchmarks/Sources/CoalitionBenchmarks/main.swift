import CoalitionCore
import CoalitionCrypto
import CoalitionIngest
import CoalitionStore
import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#endif

// coalition-bench: prints each figure an issue asks for, with its ratio to a reference
// measured in the same run. Usage: coalition-bench ingest [options]; `coalition-bench help`.

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // ru_maxrss is KiB on Linux
}

func argument(_ name: String, default value: Int) -> Int {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) { return v }
    return value
}

let cores = ProcessInfo.processInfo.activeProcessorCount

/// The reference: a plain libsodium `crypto_sign_verify_detached` loop on all cores.
func rawVerifyRate(sample entries: [Entry], seconds: Double = 3) -> Double {
    let domain = Entry.signingDomain
    let messages = entries.prefix(4096).map { (domain + $0.signedBytes, Array($0.signature), $0.author) }
    let start = now()
    let counts = onThreads(cores) { core -> Int in
        var n = 0
        var i = core
        while true {
            let (msg, sig, key) = messages[i % messages.count]
            let ok = msg.withUnsafeBytes { m in sig.withUnsafeBytes { s in key.isValidSignature(s, for: m) } }
            precondition(ok)
            n += 1
            i += cores
            if n % 256 == 0 && now() - start > seconds { break }
        }
        return n
    }
    return Double(counts.reduce(0, +)) / (now() - start)
}

/// Runs `body(0)`, …, `body(threads - 1)` on that many threads at once; their results in order.
func onThreads<T>(_ threads: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: threads)
    results.initialize(repeating: nil)
    defer { results.deallocate() }
    let box = UncheckedBuffer(pointer: results)
    DispatchQueue.concurrentPerform(iterations: threads) { i in box.pointer[i] = body(i) }
    return results.map { $0! }
}

/// A buffer each thread of ``onThreads(_:_:)`` writes one slot of.
struct UncheckedBuffer<T>: @unchecked Sendable { let pointer: UnsafeMutableBufferPointer<T?> }

/// Builds `count` signed entries from `authors` authors: mostly publishes of every kind, with
/// opinions and retractions mixed in, interleaved across authors as gossip would deliver them.
func makeEntries(count: Int, authors authorCount: Int) -> [Entry] {
    let perAuthor = count / authorCount
    let chains: [[Entry]] = (0..<authorCount).map { $0 }.parallelMap(chunkSize: 1) { a in
        let signer = try! Signer(seed: (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ a) })
        var chain: [Entry] = []
        chain.reserveCapacity(perAuthor)
        var prev = EntryID.zero
        for i in 0..<perAuthor {
            let body: Body
            switch i % 10 {
            case 7 where i > 10:
                body = .opinion(try! Opinion(target: chain[i - 5].id, stance: .confirm))
            case 9 where i > 20:
                body = .retract(try! Retraction(target: chain[i - 9].id, reason: "benchmark retraction"))
            default:
                let kinds: [SignalKind] = [.md5, .sha256, .pdq, .url, .trend]
                let kind = kinds[i % kinds.count]
                let v: String
                switch kind {
                case .md5: v = String(format: "%016x%016x", a, i)
                case .sha256, .pdq: v = String(format: "%032x%032x", a, i)
                case .url: v = "https://example\(a).com/item/\(i)"
                default: v = "#challenge\(a)x\(i)"
                }
                body = .publish(try! Signal(kind: kind, value: v, category: "protection_of_minors/unsafe_challenges",
                                            severity: .high, labels: ["bench"], note: i % 3 == 0 ? "benchmark signal \(i)" : nil))
            }
            let e = try! Entry.sign(by: signer, seq: UInt64(i + 1), prev: prev, timestamp: 1_767_225_600_000 + Int64(i), body: body)
            prev = e.id
            chain.append(e)
        }
        return chain
    }
    var out: [Entry] = []
    out.reserveCapacity(perAuthor * authorCount)
    for i in 0..<perAuthor { for c in chains { out.append(c[i]) } }
    return out
}

func benchIngest() throws {
    let total = argument("--entries", default: 200_000)
    let authors = argument("--authors", default: 10)
    let batchSize = argument("--batch", default: 25_000)
    print("== ingest: verify and store \(total) entries from \(authors) authors into a fresh store (\(cores) cores)")
    let t0 = now()
    let entries = makeEntries(count: total, authors: authors)
    print(String(format: "   generated and signed in %.1f s (not timed)", now() - t0))

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let database = CommandLine.arguments.contains("--memory") ? try AppDatabase.inMemory()
        : try AppDatabase.open(path: dir.appendingPathComponent("bench.sqlite").path)
    let store = EntryStore(database: database, reader: nil)

    let referenceBefore = rawVerifyRate(sample: entries)

    if CommandLine.arguments.contains("--profile-commit") {
        let prepared = stride(from: 0, to: entries.count, by: batchSize).map { store.prepare(Array(entries[$0..<min($0 + batchSize, entries.count)])) }
        print("PID \(getpid()) prepared; committing in 3 s"); fflush(nil)
        sleep(3)
        let t = now()
        let cpu0 = processCPUSeconds()
        defer { print(String(format: "   commit CPU %.1f us/entry", (processCPUSeconds() - cpu0) / Double(entries.count) * 1e6)) }
        let bulk = try store.beginBulkLoad(expectedEntries: entries.count)
        for p in prepared { _ = try bulk.commit(p) }
        let t2 = now()
        try bulk.finish()
        let total = now() - t
        print(String(format: "   commit only: %.2f s (%.1f us/entry), of which the index build %.2f s", total, total / Double(entries.count) * 1e6, now() - t2))
        return
    }
    if CommandLine.arguments.contains("--decode-probe") {
        // What preparing an entry costs besides its signature, on one core (3 rounds).
        let encoded = entries.map(\.bytes)
        for _ in 0..<3 {
            var t = now()
            var sink = 0
            for b in encoded { let e = try! Entry(decoding: b); sink &+= Int(e.id.bytes[0]) }
            let a = now() - t
            t = now()
            for b in encoded { let e = try! Entry(decoding: b); let body = try! e.decodeBody(); sink &+= Int(e.id.bytes[0]); if case .publish = body { sink &+= 1 } }
            let c = now() - t
            t = now()
            let n = 20_000
            for b in encoded.prefix(n) { let e = try! Entry(decoding: b); sink &+= e.verifySignature() ? 1 : 0 }
            let v = now() - t
            print(String(format: "   one core: frame + ID %.2f us, + body %.2f us, frame + ID + verify %.2f us per entry (%d)", a / Double(encoded.count) * 1e6, c / Double(encoded.count) * 1e6, v / Double(n) * 1e6, sink))
        }
        return
    }
    if CommandLine.arguments.contains("--breakdown") {
        let bulk = CommandLine.arguments.contains("--no-bulk") ? nil : try store.beginBulkLoad(expectedEntries: entries.count)
        var prepareTime = 0.0, commitTime = 0.0
        for b in stride(from: 0, to: entries.count, by: batchSize) {
            let t = now()
            let p = store.prepare(encoded: entries[b..<min(b + batchSize, entries.count)].map(\.bytes))
            prepareTime += now() - t
            let t2 = now()
            _ = try bulk.map { try $0.commit(p) } ?? store.commit(p)
            commitTime += now() - t2
        }
        let t3 = now()
        try bulk?.finish()
        commitTime += now() - t3
        let reference = rawVerifyRate(sample: entries)
        print(String(format: "   breakdown (sequential): prepare %.2f s (%.0f entries/s = %.2f of raw verify %.0f/s), commit %.2f s (%.1f us/entry)",
                     prepareTime, Double(entries.count) / prepareTime, Double(entries.count) / prepareTime / reference, reference,
                     commitTime, commitTime / Double(entries.count) * 1e6))
        return
    }

    // Trials alternate with the reference loop; each trial's ratio uses the references measured
    // just before and after it, which cancels slow drift, and the median across trials damps
    // bursts of noise from other tenants of the machine.
    let trials = max(1, argument("--trials", default: 7))
    // Each trial starts from the entries' bytes, as they arrive from a peer or an export: decoding
    // and the ID's SHA-256 are inside the timed region with verification and storage.
    let encoded = entries.map(\.bytes)
    var references = [referenceBefore]
    var ratios: [Double] = []
    for t in 1...trials {
        let trial = try ingestTrial(encoded, largestBatch: batchSize)
        let referenceCPU = processCPUSeconds(), referenceStart = now(), referenceStolen = stolenSeconds()
        references.append(rawVerifyRate(sample: entries))
        let referenceBusy = (processCPUSeconds() - referenceCPU) / ((now() - referenceStart) * Double(cores))
        let referenceSteal = (stolenSeconds() - referenceStolen) / ((now() - referenceStart) * Double(cores))
        let reference = (references[t - 1] + references[t]) / 2
        let rate = Double(trial.outcome.report.applied) / trial.elapsed
        ratios.append(rate / reference)
        print(String(format: "   trial %d: %d entries in %.2f s = %.0f entries/s; raw verify on %d cores %.0f/s; ratio %.2f (cores %.0f%% busy, %.1f%% in the kernel, %.1f%% stolen by the hypervisor; in the reference loop after it %.0f%% busy, %.1f%% stolen; %d transactions, %d entries on the bulk path, index build %.2f s overlapping the verification of the rest; %d signals, %d authors stored)",
                     t, trial.outcome.report.applied, trial.elapsed, rate, cores, reference, rate / reference, trial.busy * 100, trial.system * 100, trial.stolen * 100, referenceBusy * 100, referenceSteal * 100,
                     trial.outcome.batches, trial.outcome.bulkEntries, trial.outcome.indexBuildSeconds, trial.signals, trial.authors))
    }
    let median = ratios.sorted()[ratios.count / 2]
    print(String(format: "   ratio ingest / raw verify: median %.2f over %d trials (min %.2f, max %.2f; target >= 0.80)", median, trials, ratios.min()!, ratios.max()!))
    let ceiling = try IngestCeiling.measure(entries, rawVerifyRate: references.sorted()[references.count / 2], directory: dir)
    print(String(format: "   ceiling (same run; Coalition's own code costing nothing): per entry, raw verify %.1f us of CPU, SHA-256 of the entry (its ID) %.1f us, a bare SQLite row on the real schema plus the index build %.1f us -> ratio at most %.2f with every core 100%% busy (parsing left out)",
                 ceiling.verify * 1e6, ceiling.hash * 1e6, ceiling.store * 1e6, ceiling.ratio))
    print(String(format: "   peak RSS: %.0f MiB (includes the %d pre-built entries held in memory)", peakRSSMiB(), entries.count))
}

struct IngestTrial { var elapsed, busy, system, stolen: Double; var outcome: IngestPipeline.Outcome; var signals, authors: Int }

/// One timed ingest of `entries` into a fresh store on disk, through the node's own pipeline
/// (`IngestPipeline`, which `coalition import --signed` uses too): the next batch is verified on
/// all cores while the current one commits, the bulk-load path fills the empty store, and the
/// last entries are verified while its indexes are built.
func ingestTrial(_ encoded: [[UInt8]], largestBatch: Int) throws -> IngestTrial {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = EntryStore(database: try AppDatabase.open(path: dir.appendingPathComponent("bench.sqlite").path), reader: nil)
    let cpuBefore = processCPUTimes(), stolenBefore = stolenSeconds()
    let start = now()
    let outcome = try IngestPipeline(store: store, largestBatch: largestBatch).run(encoded: encoded)
    let elapsed = now() - start
    let cpu = processCPUTimes(), stolen = stolenSeconds() - stolenBefore
    let busy = (cpu.user + cpu.system - cpuBefore.user - cpuBefore.system) / (elapsed * Double(cores))
    let system = (cpu.system - cpuBefore.system) / (elapsed * Double(cores))
    precondition(outcome.report.rejected.isEmpty, "unexpected rejections: \(outcome.report.rejected.prefix(3))")
    precondition(outcome.report.applied == encoded.count, "applied \(outcome.report.applied) of \(encoded.count)")
    let stats = try store.statistics()
    return IngestTrial(elapsed: elapsed, busy: busy, system: system, stolen: stolen / (elapsed * Double(cores)), outcome: outcome, signals: stats.signals, authors: stats.authors)
}

/// Seconds of CPU time the hypervisor gave to other guests instead of this machine (all cores
/// together): the `steal` column of /proc/stat. Zero where the kernel does not report it.
func stolenSeconds() -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
          let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return 0 }
    let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    return fields.count > 7 ? fields[7] / Double(sysconf(Int32(_SC_CLK_TCK))) : 0
}

/// User and system CPU time this process has used, in seconds.
func processCPUTimes() -> (user: Double, system: Double) {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return (seconds(usage.ru_utime), seconds(usage.ru_stime))
}

/// User plus system CPU time this process has used, in seconds.
func processCPUSeconds() -> Double {
    let t = processCPUTimes()
    return t.user + t.system
}

let command = CommandLine.arguments.dropFirst().first ?? "ingest"
// As every node process does (`NodeDirectory.open`): freed batches stay with the allocator.
precondition(AllocatorTuning.retainFreedMemory(), "glibc refused the allocator settings")
switch command {
case "ingest": try benchIngest()
case "sync": try await benchSync()
case "propagation": try await benchPropagation()
case "pdq": try benchPDQ()
case "trends": benchTrends()
case "http": try benchHTTP()
case "hash": try benchHash()
case "fuzz-media": try benchFuzzMedia()
case "actions": try await benchActions()
case "dashboard": try benchDashboard()
case "serve-store": try await serveStore()  // the bootstrap's source node (a child of `sync`)
default:
    print("""
        usage: coalition-bench hash [--seconds 10] [--fixtures DIR] [--no-video]
          the fixture images hashed (read, decoded, PDQ) on one core and on every core, against
          python-threatexchange's pdq_from_file on the same files in the same run, with the
          agreement; the fixture clips at 1 frame/s against PyPI vpdq (seconds of video per second)
        usage: coalition-bench actions [--events 300] [--bank 10000000]
          signals published at A of an A-B-C line of coalition run processes, one at a time, to
          their webhook at C verified by PyPI standardwebhooks: p50 and p99 against gossip alone
          in the same run; then the content bank at --bank PDQ items: bytes per item and one
          retro-hunt check against a plain single-threaded scan (0 skips either part)
        usage: coalition-bench dashboard [--signals 1000000] [--report-signals 10000000] [--report-store DIR]
          the dashboard's overview page of a coalition run process with --signals stored: the
          server time (Server-Timing) of 300 requests against /healthz in the same run; then
          coalition report over a year with --report-signals stored against one COUNT(*) scan of
          the entry table in the same run (0 skips either part); --report-store keeps the store
          there for the next run, which reuses it
        usage: coalition-bench fuzz-media [--inputs 1000000] [--video-inputs N] [--only jpeg,png,webp,gif,video]
          mutated inputs through every decoder path on every core: hashed, refused, refusals
          without a message (must be 0), the slowest input and the peak RSS
        usage: coalition-bench sync [--entries N] [--authors N] [--profile-bootstrap]
          two nodes of N entries (default 1000000) from 20 authors differing by 100 entries: bytes
          and round trips to sync, bytes when already in sync, then a bootstrap of a third node
          from a source node in a child process (`serve-store`): each node's CPU per entry and
          the same-run ceiling; --profile-bootstrap prints both PIDs and waits 3 s (attach perf)
        usage: coalition-bench propagation [--nodes N] [--entries N] [--seed N]
          N coalition run processes (default 32) in a random connected topology of degree 3-4;
          publishes entries (default 1000) at random nodes; p50 and p99 time until every node has each
        usage: coalition-bench http [--signals N] [--seconds N] [--connections N] [--hit-percent P]
          a coalition run process with N stored signals (default 1000000): start-up time and RSS,
          wrk on GET /v1/lookup and POST /v1/lookup (100 items), p99, freshness; and the
          exact-lookup filter in process at 10M keys (needs wrk and the coalition binary);
          --serve: set the node up, print the wrk commands and keep it running (for perf);
          --write-load M: then the same wrk runs while the node receives M entries by gossip
          from a second node process: p50 and p99 idle and under that write load
        usage: coalition-bench trends [--terms N] [--text-kib N] [--naive-kib N]
          trend matching with N terms (default 100000): automaton MB/s vs a naive per-term scan
        usage: coalition-bench pdq [--hashes N[,N…]] [--queries N] [--distance D] [--no-threatexchange]
          PDQ multi-index hashing at each size (default 1000000,10000000), each in a child process:
          build time, queries/s on one core, recall vs brute force, peak RSS, insert/remove cost,
          and python-threatexchange's default PDQ index on the same data with the ratios (installs
          it with pip into Benchmarks/.venv-threatexchange on first use)
        usage: coalition-bench ingest [--entries N] [--authors N] [--batch N] [--trials N]
                                      [--breakdown [--no-bulk] [--memory]] [--profile-commit] [--decode-probe]
          --entries N       entries to ingest (default 200000), from --authors N authors (default 10)
          --batch N         most entries per transaction (default 25000)
          --trials N        timed ingests, each into a fresh store, alternating with the reference
                            loop (default 7); prints each ratio and their median
          --memory          with --breakdown: an in-memory database instead of a file
          --breakdown       verify, then store, one after the other, and print each stage's cost
          --no-bulk         with --breakdown: the normal ingest path instead of the bulk-load path
          --profile-commit  verify everything first, print the PID, wait 3 s, then store (attach perf)
          --decode-probe    on one core: decoding an entry's frame and ID, its body, and verifying it
        """)
    exit(2)
}

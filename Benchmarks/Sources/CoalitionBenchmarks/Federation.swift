import CoalitionCore
import CoalitionCrypto
import CoalitionGossip
import CoalitionNode
import CoalitionStore
import Foundation
import GRDB
import Logging
import ServiceLifecycle

// `sync`: the sync-cost and bootstrap benchmarks of the federation issue, with real gossip
// services (TLS 1.3 on loopback, real SQLite files): in this process, except the bootstrap's
// source (see `BootstrapSource`).

/// Runs `services` in a service group until `done` holds (checked every `poll`), then shuts them
/// down gracefully.
func runServices(_ services: [GossipService], poll: Duration = .milliseconds(5),
                 until done: @escaping @Sendable () async throws -> Bool) async throws {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    let group = ServiceGroup(services: services, logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        while !(try await done()) { try await Task.sleep(for: poll) }
        await group.triggerGracefulShutdown()
        try await tasks.next()
    }
}

func gossip(_ store: EntryStore, key: Signer, members: [PublicKey], port: Int = 0, dial: (PublicKey, Int)? = nil) throws -> GossipService {
    var config = GossipConfiguration(listenHost: "127.0.0.1", listenPort: port,
                                     peers: dial.map { [.init(key: $0.0, host: "127.0.0.1", port: $0.1)] } ?? [])
    config.antiEntropyInterval = 3600  // only the connect-time exchange is measured
    config.keepAliveInterval = 3600
    config.quotaBurst = 10_000_000
    var logger = Logger(label: "bench.gossip")
    logger.logLevel = .error
    let registry = MemberRegistry(selfKey: key.publicKey, members: Dictionary(members.map { ($0, "m") }, uniquingKeysWith: { a, _ in a }))
    return GossipService(wiring: store, configuration: config, identity: try TLSIdentity(signer: key, name: "bench"), members: registry, logger: logger)
}

func bulkLoad(_ entries: [Entry], into store: EntryStore) throws {
    let bulk = try store.beginBulkLoad(expectedEntries: entries.count)
    for b in stride(from: 0, to: entries.count, by: 25_000) {
        _ = try bulk.commit(store.prepare(Array(entries[b..<min(b + 25_000, entries.count)])))
    }
    try bulk.finish()
}

func benchSync() async throws {
    let authors = argument("--authors", default: 20)
    let perAuthor = argument("--entries", default: 1_000_000) / authors + 5
    print("== sync: two nodes with \(perAuthor * authors - 50) entries each from \(authors) authors, differing by 100; then a bootstrap (\(cores) cores)")
    let t0 = now()
    let union = makeEntries(count: perAuthor * authors, authors: authors)
    let authorKeys = Array(Set(union.map(\.author))).sorted()
    // A lacks the last 25 entries of authors 0 and 1; B lacks the last 25 of authors 2 and 3.
    func isTail(_ e: Entry, _ of: ArraySlice<PublicKey>) -> Bool { of.contains(e.author) && e.seq > UInt64(perAuthor - 25) }
    let onlyB = union.filter { isTail($0, authorKeys[0..<2]) }
    let onlyA = union.filter { isTail($0, authorKeys[2..<4]) }
    let base = union.filter { !isTail($0, authorKeys[0..<4]) }
    let diffBytes = (onlyA + onlyB).reduce(0) { $0 + $1.bytes.count }
    print(String(format: "   generated and signed %d entries in %.1f s (not timed)", union.count, now() - t0))

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-sync-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let t1 = now()
    let pathA = dir.appendingPathComponent("a.sqlite").path, pathB = dir.appendingPathComponent("b.sqlite").path
    do {
        let baseDB = try AppDatabase.open(path: pathA)
        try bulkLoad(base, into: EntryStore(database: baseDB, reader: nil))
        try checkpoint(baseDB)
    }
    try FileManager.default.copyItem(atPath: pathA, toPath: pathB)
    let storeA = EntryStore(database: try AppDatabase.open(path: pathA), reader: nil)
    let storeB = EntryStore(database: try AppDatabase.open(path: pathB), reader: nil)
    _ = try storeA.ingest(onlyA)
    _ = try storeB.ingest(onlyB)
    print(String(format: "   stores built in %.1f s (not timed): A %d entries, B %d entries", now() - t1,
                 try storeA.statistics().entries, try storeB.statistics().entries))

    let keyA = Signer(), keyB = Signer(), keyC = Signer()
    let everyone = authorKeys + [keyA.publicKey, keyB.publicKey, keyC.publicKey]
    let goal = union.count

    // 1. Differing by 100 entries.
    let portA = freePort()
    let a1 = try gossip(storeA, key: keyA, members: everyone, port: portA)
    let b1 = try gossip(storeB, key: keyB, members: everyone, dial: (keyA.publicKey, portA))
    let t2 = now()
    try await runServices([a1, b1]) {
        // The cheap check first: counting a million rows every 5 ms would slow the sync itself.
        try storeA.lastLocalSeq() >= Int64(goal) && storeB.lastLocalSeq() >= Int64(goal)
            && storeA.statistics().entries == goal && storeB.statistics().entries == goal
    }
    let syncTime = now() - t2
    let (sa, sb) = (try await a1.status().peers[0], try await b1.status().peers[0])
    let frames = Int(sa.bytesOut + sb.bytesOut)
    let tls = Int(sa.tlsBytesOut + sb.tlsBytesOut)
    let roundTrips = 1 + Int(sa.rangeRequests + sb.rangeRequests)
    let digestA = try storeA.stateDigest(), digestB = try storeB.stateDigest()
    print("   differing by 100 (\(onlyA.count) only at A, \(onlyB.count) only at B, \(diffBytes) bytes of entries):")
    print(String(format: "     synced in %.0f ms; frame bytes %d = entries %d + overhead %d (target ≤ 2048: %@); round trips %d (target 1: %@)",
                 syncTime * 1000, frames, diffBytes, frames - diffBytes, frames - diffBytes <= 2048 ? "met" : "NOT met",
                 roundTrips, roundTrips == 1 ? "met" : "NOT met"))
    print(String(format: "     overhead / full ID list (32 B × %d = %d B): %.6f; socket bytes incl. TLS handshake and records: %d",
                 goal, 32 * goal, Double(frames - diffBytes) / Double(32 * goal), tls))
    print("     state digests equal: \(digestA == digestB)")

    // 2. Already in sync: a fresh connection exchanges hello and heads only.
    let portA2 = freePort()
    let a2 = try gossip(storeA, key: keyA, members: everyone, port: portA2)
    let b2 = try gossip(storeB, key: keyB, members: everyone, dial: (keyA.publicKey, portA2))
    try await runServices([a2, b2]) {
        let pa = try await a2.status().peers.first, pb = try await b2.status().peers.first
        return pa?.lastSync != nil && pb?.lastSync != nil && pa?.connected == true && pb?.connected == true
    }
    let (ia, ib) = (try await a2.status().peers[0], try await b2.status().peers[0])
    let inSync = Int(ia.bytesOut + ib.bytesOut)
    print(String(format: "   already in sync: frame bytes %d (target < 1024: %@), round trips 1; ratio to the full ID list %.6f; socket bytes incl. TLS %d",
                 inSync, inSync < 1024 ? "met" : "NOT met", Double(inSync) / Double(32 * goal), Int(ia.tlsBytesOut + ib.tlsBytesOut)))

    // 3. Bootstrap: an empty node pulls everything from A. A serves from a child process, so
    // that each node's CPU is known: both share this machine's cores (and the wall-clock ratio
    // counts both), while in production the source is another platform's machine.
    let storeC = EntryStore(database: try AppDatabase.open(path: dir.appendingPathComponent("c.sqlite").path), reader: nil)
    let referenceBefore = rawVerifyRate(sample: union)
    let source = try BootstrapSource.start(store: pathA, peer: keyC.publicKey)
    defer { source.stop() }
    if CommandLine.arguments.contains("--profile-bootstrap") {
        print("PID \(getpid()) (receiver), \(source.process.processIdentifier) (source) bootstrapping in 3 s"); fflush(nil)
        sleep(3)
    }
    let c3 = try gossip(storeC, key: keyC, members: everyone + [source.key], dial: (source.key, source.port))
    let t3 = now()
    let (receiverCPU0, sourceCPU0) = (processCPUSeconds(), source.cpuSeconds())
    // Done when everything is stored and the entry indexes exist again (a bulk bootstrap builds
    // them once at the end, inside the timed region).
    try await runServices([c3], poll: .milliseconds(25)) {
        try storeC.lastLocalSeq() >= Int64(goal) && storeC.statistics().entries == goal && hasBulkLoadIndexes(storeC)
    }
    let bootTime = now() - t3
    let receiverCPU = processCPUSeconds() - receiverCPU0, sourceCPU = source.cpuSeconds() - sourceCPU0
    let busy = (receiverCPU + sourceCPU) / (bootTime * Double(cores))
    let referenceAfter = rawVerifyRate(sample: union)
    let reference = (referenceBefore + referenceAfter) / 2
    let rate = Double(goal) / bootTime
    print(String(format: "   bootstrap: %d entries pulled, verified and stored in %.1f s = %.0f entries/s (source in a child process on the same cores; cores %.0f%% busy)",
                 goal, bootTime, rate, busy * 100))
    print(String(format: "     raw verify on %d cores (reference, mean of before %.0f and after %.0f): %.0f/s; ratio %.2f (target ≥ 0.8: %@); peak RSS %.0f MiB",
                 cores, referenceBefore, referenceAfter, reference, rate / reference, rate / reference >= 0.8 ? "met" : "NOT met", peakRSSMiB()))
    // Per entry: CPU of one raw verification, of the receiving node, and of the source node.
    print("     \(storeC.commitCount) transactions on the receiving node (\(UInt64(goal) / max(storeC.commitCount, 1)) entries each on average)")
    let (v, rx, tx) = (Double(cores) / reference * 1e6, receiverCPU / Double(goal) * 1e6, sourceCPU / Double(goal) * 1e6)
    print(String(format: "     CPU per entry: raw verify %.1f us; receiving node %.1f us (%.1f beyond verification); source node %.1f us",
                 v, rx, rx - v, tx))
    print(String(format: "     receiving node alone (its CPU only, as with the source on another machine and every core busy): v / receiver = %.2f",
                 v / rx))
    // The same-run ceiling: verification, the ID's SHA-256 and a bare row per entry (see
    // `IngestCeiling`), plus what the source node cost in this run, since it shares the cores.
    let ceiling = try IngestCeiling.measure(Array(union.prefix(200_000)), rawVerifyRate: reference, directory: dir)
    let withSource = ceiling.verify / (ceiling.verify + ceiling.hash + ceiling.store + sourceCPU / Double(goal))
    print(String(format: "     ceiling (same run): raw verify %.1f us + SHA-256 %.1f us + bare SQLite row and index build %.1f us per entry → %.2f for a receiver alone; with the source's %.1f us on the same cores %.2f at 100%% busy, %.2f at this run's %.0f%%",
                 ceiling.verify * 1e6, ceiling.hash * 1e6, ceiling.store * 1e6, ceiling.ratio, tx, withSource, withSource * busy, busy * 100))
    print("     state digest equal to A: \(try storeC.stateDigest() == digestA)")
}

func hasBulkLoadIndexes(_ store: EntryStore) throws -> Bool {
    try store.database.writer.read { db in
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('entry_id', 'entry_author_seq', 'entry_indicator', 'opinion_target')") == 4
    }
}

func freePort() -> Int { LoopbackPort.free() }

/// Checkpoints the WAL into the main file, so that the file can be copied.
func checkpoint(_ db: AppDatabase) throws {
    try db.writer.writeWithoutTransaction { _ = try $0.checkpoint(.truncate) }
}

import CoalitionCore
import CoalitionCrypto
@testable import CoalitionStore
import Foundation
import Testing

/// The store's pushed change feed: every commit's changes reach a subscriber in order, a
/// subscriber that fell behind catches up from its cursor, and a cursor saved before a restart
/// resumes exactly.
@Suite struct CommitFeedTests {
    static func path() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-feed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("node.sqlite").path
    }

    /// Publishes, retracts, opines and forks: every kind of change, in `rounds` commits.
    static func commitMixedChanges(_ store: EntryStore, rounds: Int, by us: Signer, peer: Signer) throws {
        for i in 0..<rounds {
            let e = try store.append([.plain(.publish(try Signal(kind: .md5, value: String(format: "%032x", i), category: "violence")))], by: us)[0]
            try store.append([.plain(.opinion(try Opinion(target: e.id, stance: .confirm)))], by: peer)
            if i % 3 == 0 { try store.append([.plain(.retract(try Retraction(target: e.id, reason: "mistake \(i)")))], by: us) }
        }
    }

    /// Reads `stream` until it reaches `cursor` or the deadline passes.
    static func collect(_ stream: AsyncThrowingStream<[ChangeRecord], any Error>, until cursor: Int64) async throws -> [ChangeRecord] {
        try await withThrowingTaskGroup(of: [ChangeRecord]?.self) { group in
            group.addTask {
                var out: [ChangeRecord] = []
                for try await page in stream {
                    out += page
                    if let last = out.last?.cursor, last >= cursor { break }
                }
                return out
            }
            group.addTask {
                try await Task.sleep(for: .seconds(300))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return try #require(first, "the subscriber did not reach cursor \(cursor) within 300 s")
        }
    }

    @Test("every commit's changes reach a subscriber in order, carrying kind and value, without table reads")
    func inOrder() async throws {
        let store = EntryStore(database: try .open(path: try Self.path()), reader: nil)
        let us = try Signer(), peer = try Signer()
        let stream = store.feed.subscribe(after: 0)
        try Self.commitMixedChanges(store, rounds: 30, by: us, peer: peer)
        let last = try store.lastLocalSeq()
        let got = try await Self.collect(stream, until: last)
        let disk = try store.changes(after: 0, limit: 10_000)
        #expect(got.map(\.cursor) == disk.map(\.cursor))
        #expect(got.map(\.kind) == disk.map(\.kind))
        #expect(got.map(\.signal) == disk.map(\.signal))
        #expect(got.map(\.cursor) == got.map(\.cursor).sorted())
        #expect(Set(got.map(\.kind)) == [.added, .opinion, .retracted])
        let added = got.filter { $0.kind == .added }
        #expect(added.count == 30 && added.allSatisfy { $0.signalKind == .md5 && $0.value?.count == 32 })
        #expect(got.filter { $0.kind == .retracted }.allSatisfy { $0.signalKind == .md5 && $0.value != nil }, "a retraction names what it retracted")
        #expect(store.feed.tableReads == 0, "a subscriber that keeps up is served from memory")
    }

    @Test("a subscriber that fell behind the in-memory window catches up from its cursor through the table")
    func slowSubscriberCatchesUp() async throws {
        let store = EntryStore(database: try .open(path: try Self.path()), reader: nil, feedCapacity: 8)
        let us = try Signer(), peer = try Signer()
        try Self.commitMixedChanges(store, rounds: 40, by: us, peer: peer)
        let last = try store.lastLocalSeq()
        let got = try await Self.collect(store.feed.subscribe(after: 0, limit: 7), until: last)
        #expect(got.map(\.cursor) == (try store.changes(after: 0, limit: 10_000)).map(\.cursor))
        #expect(store.feed.tableReads > 0, "memory held only the last 8 changes")
        // From a cursor in the middle, only what came after it.
        let middle = got[got.count / 2].cursor
        let rest = try await Self.collect(store.feed.subscribe(after: middle), until: last)
        #expect(rest.map(\.cursor) == got.filter { $0.cursor > middle }.map(\.cursor))
    }

    @Test("a cursor saved before a restart resumes exactly: nothing lost, nothing repeated")
    func acrossRestart() async throws {
        let path = try Self.path()
        let us = try Signer(), peer = try Signer()
        var saved: Int64 = 0
        do {
            let store = EntryStore(database: try .open(path: path), reader: nil)
            try Self.commitMixedChanges(store, rounds: 10, by: us, peer: peer)
            saved = try await Self.collect(store.feed.subscribe(after: 0), until: try store.lastLocalSeq()).last!.cursor
            try Self.commitMixedChanges(store, rounds: 5, by: us, peer: peer)  // committed, not read before the "restart"
        }
        let reopened = EntryStore(database: try .open(path: path), reader: nil)
        #expect(reopened.feed.through == (try reopened.lastLocalSeq()))
        let after = try await Self.collect(reopened.feed.subscribe(after: saved), until: try reopened.lastLocalSeq())
        #expect(after.map(\.cursor) == (try reopened.changes(after: saved, limit: 10_000)).map(\.cursor))
        #expect(after.allSatisfy { $0.cursor > saved })
        #expect(after.filter { $0.kind == .added }.count == 5)
    }

    @Test("writes of another process reach subscribers once the feed catches up")
    func otherProcessWrites() async throws {
        let path = try Self.path()
        let daemon = EntryStore(database: try .open(path: path), reader: nil)
        let cli = EntryStore(database: try .open(path: path), reader: nil)
        let stream = daemon.feed.subscribe(after: 0)
        try Self.commitMixedChanges(cli, rounds: 4, by: try Signer(), peer: try Signer())
        #expect(try daemon.feed.catchUp() == (try cli.lastLocalSeq()))
        let got = try await Self.collect(stream, until: try cli.lastLocalSeq())
        #expect(got.map(\.cursor) == (try cli.changes(after: 0)).map(\.cursor))
    }

    @Test("a waiter wakes on the next commit, and times out when there is none")
    func waiting() async throws {
        let store = EntryStore(database: try .open(path: try Self.path()), reader: nil)
        let through = store.feed.through
        #expect(await store.feed.wait(after: through, timeout: .milliseconds(50)) == false)
        let start = ContinuousClock.now
        async let woke = store.feed.wait(after: through, timeout: .seconds(600))
        try await Task.sleep(for: .milliseconds(20))
        try store.append([.plain(.publish(try Signal(kind: .md5, value: String(repeating: "a", count: 32), category: "violence")))], by: try Signer())
        #expect(await woke)
        #expect(ContinuousClock.now - start < .seconds(300), "woken by the commit, not by the 600 s timeout")
    }
}

extension CommitFeedTests {
    @Test("a cancelled waiter returns at once instead of at its timeout")
    func cancelledWaiter() async throws {
        let store = EntryStore(database: try .open(path: try Self.path()), reader: nil)
        let start = ContinuousClock.now
        let waiter = Task { await store.feed.wait(after: store.feed.through, timeout: .seconds(600)) }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        #expect(await waiter.value == false)
        #expect(ContinuousClock.now - start < .seconds(300), "returned on cancellation, not at the 600 s timeout")
    }
}

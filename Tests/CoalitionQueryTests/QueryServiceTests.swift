import CoalitionCore
import CoalitionCrypto
import CoalitionQuery
import CoalitionStore
import Foundation
import Testing

/// The query layer on its own, over a real SQLite store: what the API, the CLI and the dashboard
/// ask, and the errors they get for bad input.
@Suite struct QueryServiceTests {
    let store: EntryStore
    let query: QueryService
    let us = try! Signer()
    let peer = try! Signer()

    init() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-query-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = EntryStore(database: try .open(path: dir.appendingPathComponent("node.sqlite").path), reader: nil)
        let names: [PublicKey: String] = [us.publicKey: "video-app", peer.publicKey: "forum"]
        query = QueryService(store: store, names: { names[$0] ?? "?" })
    }

    @discardableResult
    func publish(_ kind: SignalKind, _ value: String, by signer: Signer? = nil, quality: UInt8? = nil) throws -> Entry {
        let signal = try Signal(kind: kind, value: value, category: "protection_of_minors/unsafe_challenges", quality: quality)
        return try store.append([.plain(.publish(signal))], by: signer ?? us)[0]
    }

    @Test("an exact lookup canonicalises the value and names every source of the indicator")
    func exactLookupWithSources() throws {
        let mine = try publish(.url, "https://example.com/challenge")
        let theirs = try publish(.url, "https://example.com/challenge", by: peer)
        let r = try query.lookup(LookupItem(kind: "url", value: "HTTPS://Example.COM:443/a/../challenge#x"), try query.options())
        #expect(r.canonical == "https://example.com/challenge")
        #expect(r.flagged)
        #expect(Set(r.matches.map(\.signal.id)) == [mine.id.hex, theirs.id.hex])
        #expect(r.matches.allSatisfy { $0.signal.sources.count == 2 })
        #expect(Set(r.matches.map(\.signal.authorName)) == ["video-app", "forum"])
        let miss = try query.lookup(LookupItem(kind: "url", value: "https://example.com/other"), try query.options())
        #expect(miss.matches.isEmpty && !miss.flagged)
    }

    @Test("a PDQ lookup finds hashes within the distance, honours minQuality, and reports the distance")
    func pdqLookup() throws {
        let hash = String(repeating: "f0", count: 32)
        try publish(.pdq, hash, quality: 90)
        var near = Array(hash)
        near[0] = "e"  // one bit off
        let hit = try query.lookup(LookupItem(kind: "pdq", value: String(near)), try query.options(distance: 1))
        #expect(hit.matches.map(\.distance) == [1])
        #expect(try query.lookup(LookupItem(kind: "pdq", value: String(near)), try query.options(distance: 0)).matches.isEmpty)
        #expect(try query.lookup(LookupItem(kind: "pdq", value: hash), try query.options(minQuality: 95)).matches.isEmpty)
    }

    @Test("a retracted signal is left out unless inactive ones are asked for")
    func retracted() throws {
        let e = try publish(.md5, "d41d8cd98f00b204e9800998ecf8427e")
        try store.append([.plain(.retract(try Retraction(target: e.id, reason: "empty file")))], by: us)
        let item = LookupItem(kind: "md5", value: "D41D8CD98F00B204E9800998ECF8427E")
        #expect(try query.lookup(item, try query.options()).matches.isEmpty)
        let all = try query.lookup(item, try query.options(includeInactive: true))
        #expect(all.matches.first?.signal.status == "retracted")
        #expect(all.matches.first?.signal.retractedBy != nil)
        #expect(!all.flagged)
    }

    @Test("text matching finds trends in a caption")
    func text() throws {
        try publish(.trend, "#blackoutchallenge")
        let m = try query.matchText("try the #BlackoutChallenge tonight")
        #expect(m.map(\.signal.value) == ["#blackoutchallenge"])
        #expect(try query.matchText("nothing here").isEmpty)
    }

    @Test("bad input is a CoalitionError that names the field")
    func errorsNameTheField() throws {
        /// "code field" of the error thrown, or why there is none.
        func field(_ body: () throws -> Void) -> String {
            do { try body(); return "no error" } catch let e as CoalitionError { return "\(e.code) \(e.field ?? "-")" } catch { return "not a CoalitionError: \(error)" }
        }
        #expect(field { _ = try query.options(distance: 65) } == "invalid-field distance")
        #expect(field { _ = try query.options(minQuality: 101) } == "invalid-field minQuality")
        #expect(field { _ = try query.lookup(LookupItem(kind: "Bad Kind", value: "x"), try query.options()) } == "invalid-field kind")
        #expect(field { _ = try query.lookup(LookupItem(kind: "md5", value: "xyz"), try query.options()) } == "invalid-field value")
        #expect(field { _ = try query.lookup(batch: [LookupItem(kind: "md5", value: String(repeating: "a", count: 32)), LookupItem(kind: "pdq", value: "00")],
                                             try query.options()) } == "invalid-field items[1].value")
        #expect(field { _ = try query.matchText(String(repeating: "a", count: 65_537)) } == "too-large text")
        #expect(field { _ = try query.signal(hex: "abc") } == "invalid-field id")
        #expect(field { _ = try query.signal(EntryID.zero) } == "not-found id")
        #expect(field { _ = try QueryService.SignalFilter(kind: nil, category: nil, origin: "not-a-member", includeInactive: false, since: nil, cursor: nil, limit: nil) }.hasSuffix(" origin"))
        #expect(field { _ = try QueryService.SignalFilter(kind: nil, category: nil, origin: nil, includeInactive: false, since: "yesterday", cursor: nil, limit: nil) } == "invalid-field since")
        #expect(field { _ = try QueryService.SignalFilter(kind: nil, category: nil, origin: nil, includeInactive: false, since: nil, cursor: "x", limit: nil) } == "invalid-field cursor")
        #expect(field { _ = try QueryService.SignalFilter(kind: nil, category: nil, origin: nil, includeInactive: false, since: nil, cursor: nil, limit: 1001) } == "invalid-field limit")
        #expect(field { try query.removeOverride(kind: "md5", value: String(repeating: "b", count: 32)) } == "not-found value")
        #expect(field { _ = try query.setOverride(kind: "md5", value: String(repeating: "b", count: 32), action: "hide", note: nil) } == "invalid-field action")
    }

    @Test("lists page newest first with a cursor, and filter by origin")
    func listPages() throws {
        for i in 0..<5 { try publish(.md5, String(format: "%032x", i)) }
        try publish(.md5, String(format: "%032x", 99), by: peer)
        var filter = try QueryService.SignalFilter(kind: "md5", category: nil, origin: nil, includeInactive: false, since: nil, cursor: nil, limit: 4)
        let first = try query.list(filter)
        #expect(first.signals.count == 4)
        filter = try QueryService.SignalFilter(kind: "md5", category: nil, origin: nil, includeInactive: false, since: nil, cursor: first.nextCursor, limit: 4)
        let second = try query.list(filter)
        #expect(second.signals.count == 2 && second.nextCursor == nil)
        #expect(Set(first.signals.map(\.id) + second.signals.map(\.id)).count == 6)
        let theirs = try QueryService.SignalFilter(kind: nil, category: nil, origin: MemberID(publicKey: peer.publicKey).description,
                                                   includeInactive: false, since: nil, cursor: nil, limit: nil)
        #expect(try query.list(theirs).signals.map(\.authorName) == ["forum"])
    }

    @Test("overrides: ignore hides a match, flag flags a value with no signal")
    func overrides() throws {
        let value = String(repeating: "c", count: 32)
        try publish(.md5, value)
        _ = try query.setOverride(kind: "md5", value: value.uppercased(), action: "ignore", note: "our own test file")
        let ignored = try query.lookup(LookupItem(kind: "md5", value: value), try query.options())
        #expect(ignored.matches.isEmpty && ignored.override == "ignore" && !ignored.flagged)
        let other = String(repeating: "d", count: 32)
        _ = try query.setOverride(kind: "md5", value: other, action: "flag", note: nil)
        #expect(try query.lookup(LookupItem(kind: "md5", value: other), try query.options()).flagged)
        #expect(try query.overrideList().count == 2)
        try query.removeOverride(kind: "md5", value: value)
        #expect(try query.lookup(LookupItem(kind: "md5", value: value), try query.options()).flagged)
    }

    @Test("the change feed pages from a cursor in order")
    func changes() throws {
        let a = try publish(.md5, String(format: "%032x", 1))
        try store.append([.plain(.retract(try Retraction(target: a.id, reason: "mistake")))], by: us)
        let all = try query.changes(after: 0)
        #expect(all.changes.map(\.kind) == ["added", "retracted"])
        #expect(all.changes.map(\.cursor) == all.changes.map(\.cursor).sorted())
        let rest = try query.changes(after: all.changes[0].cursor)
        #expect(rest.changes.map(\.kind) == ["retracted"])
        #expect(try query.changes(after: all.nextCursor).changes.isEmpty)
    }
}

/// With the follower running (as in a node), commits reach the match indexes in the background:
/// a lookup never applies changes itself, and a publisher that waits for the indexes finds its
/// signal at once.
@Suite struct IndexFollowerTests {
    @Test("the follower applies commits without any request; indexesCaughtUp waits for them; cancelling ends it")
    func followerAppliesCommits() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-follow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = EntryStore(database: try .open(path: dir.appendingPathComponent("node.sqlite").path), reader: nil)
        let query = QueryService(store: store, names: { _ in "x" })
        let signer = Signer()
        try query.loadIndexes()
        let follower = Task { try await query.followChanges() }
        defer { follower.cancel() }
        let hash = String(repeating: "0f", count: 32)
        // A PDQ hit needs the in-memory index: only the follower can have put it there once the
        // request path no longer applies changes.
        let item = LookupItem(kind: "pdq", value: hash)
        let deadline = ContinuousClock.now + .seconds(30)
        while !query.isFollowing, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(query.isFollowing)
        try store.append([.plain(.publish(try Signal(kind: .pdq, value: hash, category: "violence")))], by: signer)
        try await query.indexesCaughtUp(timeout: .seconds(30))
        #expect(try query.lookup(item, try query.options()).matches.count == 1)
        // A second signal, found by polling without waiting for the indexes.
        let other = String(repeating: "3c", count: 32)
        try store.append([.plain(.publish(try Signal(kind: .pdq, value: other, category: "violence")))], by: signer)
        // A deadline of its own: the first wait and the catch-up may have used the first one up
        // on a loaded machine.
        let pollDeadline = ContinuousClock.now + .seconds(60)
        var found = false
        while !found, ContinuousClock.now < pollDeadline {
            found = try !query.lookup(LookupItem(kind: "pdq", value: other), try query.options()).matches.isEmpty
            if !found { try await Task.sleep(for: .milliseconds(5)) }
        }
        #expect(found)
        follower.cancel()
        _ = await follower.result
        #expect(!query.isFollowing)
    }
}

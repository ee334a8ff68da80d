@testable import CoalitionAPI
@testable import CoalitionQuery
import CoalitionCrypto
import CoalitionCore
import CoalitionMatch
import CoalitionStore
import CoalitionTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct RouterTests {
    @Test func healthAndReadinessNeedNoToken() async throws {
        let f = try APIFixture()
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func tokensAndScopesAreEnforcedWithProblemJSON() async throws {
        let f = try APIFixture()
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/v1/signals", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.contentType] == "application/problem+json")
                #expect(r.problem?.statusCode == 401)
            }
            try await client.execute(uri: "/v1/signals", method: .get, headers: .bearer("coal_notatoken")) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/signals", method: .get, headers: [.authorization: "Basic abc"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/signals", method: .post, headers: .bearer(f.lookup),
                                     body: body(#"{"kind":"md5","value":"d41d8cd98f00b204e9800998ecf8427e","category":"violence"}"#)) { r in
                #expect(r.status == .forbidden)
                #expect(r.problem?.detail.contains("publish") == true)
            }
            try await client.execute(uri: "/v1/status", method: .get, headers: .bearer(f.lookup)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/status", method: .get, headers: .bearer(f.admin)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/signals", method: .get, headers: .bearer(f.admin)) { #expect($0.status == .ok, "admin implies lookup") }
            try f.tokens.revoke("lookup")
            try await client.execute(uri: "/v1/signals", method: .get, headers: .bearer(f.lookup)) { #expect($0.status == .unauthorized, "revoked at once") }
        }
    }

    @Test func publishLookupRetractAndFollowTheChangeFeed() async throws {
        let f = try APIFixture()
        try await f.app.test(.router) { client in
            let created = try await client.execute(uri: "/v1/signals", method: .post, headers: .bearer(f.publish),
                                                   body: body(#"{"kind":"url","value":"HTTPS://Scam.Example.com:443/a/../login","category":"scams_and_fraud/phishing"}"#)) { r in
                #expect(r.status == .created)
                #expect(r.headers[.location]?.hasPrefix("/v1/signals/") == true)
                return try r.json(SignalView.self)
            }
            #expect(created.value == "https://scam.example.com/login")
            try await client.execute(uri: "/v1/lookup?kind=url&value=https://SCAM.example.com/login", method: .get, headers: .bearer(f.lookup)) { r in
                let results = try r.json(LookupResponse.self).results
                #expect(results[0].canonical == "https://scam.example.com/login")
                #expect(results[0].matches.map(\.signal.id) == [created.id])
            }
            try await client.execute(uri: "/v1/signals/\(created.id)", method: .get, headers: .bearer(f.lookup)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/signals/\(created.id)/opinions", method: .post, headers: .bearer(f.publish),
                                     body: body(#"{"stance":"dispute","note":"a parked domain"}"#)) { r in
                let decoded = try r.json(SignalView.self).verdict
                #expect(decoded == "false_positive")
            }
            try await client.execute(uri: "/v1/signals/\(created.id)", method: .delete, headers: .bearer(f.publish)) { r in
                #expect(r.status == .badRequest)
                #expect(r.problem?.field == "reason")
            }
            try await client.execute(uri: "/v1/signals/\(created.id)?reason=mistake", method: .delete, headers: .bearer(f.publish)) { r in
                let decoded = try r.json(SignalView.self)
                #expect(decoded.status == "retracted")
                #expect(decoded.retractionReason == "mistake")
                // The retraction is named by its entry ID, so a mirror can fetch and verify it.
                #expect(decoded.retractedBy?.count == 64 && decoded.retractedBy != created.id)
            }
            try await client.execute(uri: "/v1/lookup?kind=url&value=https://scam.example.com/login", method: .get, headers: .bearer(f.lookup)) { r in
                let decoded = try r.json(LookupResponse.self).results[0].matches.isEmpty
                #expect(decoded, "retracted signals are left out")
            }
            try await client.execute(uri: "/v1/lookup?kind=url&value=https://scam.example.com/login&includeInactive=true", method: .get, headers: .bearer(f.lookup)) { r in
                let decoded = try r.json(LookupResponse.self).results[0].matches.count
                #expect(decoded == 1, "unless asked for")
            }
            let feed = try await client.execute(uri: "/v1/changes?after=0&limit=2", method: .get, headers: .bearer(f.lookup)) { try $0.json(ChangeFeed.self) }
            #expect(feed.changes.map(\.kind) == ["added", "opinion"])
            let rest = try await client.execute(uri: "/v1/changes?after=\(feed.nextCursor)", method: .get, headers: .bearer(f.lookup)) { try $0.json(ChangeFeed.self) }
            #expect(rest.changes.map(\.kind) == ["retracted"])
            #expect(rest.nextCursor > feed.nextCursor)
            try await client.execute(uri: "/v1/changes?after=\(rest.nextCursor)", method: .get, headers: .bearer(f.lookup)) { r in
                let again = try r.json(ChangeFeed.self)
                #expect(again.changes.isEmpty && again.nextCursor == rest.nextCursor)
            }
        }
    }

    @Test func badInputNamesTheField() async throws {
        var config = APIConfiguration.forTests
        config.maxBatch = 3
        config.maxBodyBytes = 4096
        let f = try APIFixture(configuration: config)
        try await f.app.test(.router) { client in
            let cases: [(String, HTTPRequest.Method, String?, HTTPResponse.Status, String?)] = [
                ("/v1/lookup", .post, "{bad", .badRequest, nil),
                ("/v1/lookup", .post, #"{"items":[{"kind":"md5"}]}"#, .badRequest, "items[0].value"),
                ("/v1/lookup", .post, #"{"items":[{"kind":"md5","value":"zz"}]}"#, .badRequest, "items[0].value"),
                ("/v1/lookup", .post, #"{"items":[{"kind":"Not A Kind!","value":"x"}]}"#, .badRequest, "items[0].kind"),
                ("/v1/lookup", .post, #"{"items":[],"distance":65}"#, .badRequest, "distance"),
                ("/v1/lookup", .post, #"{"items":[{"kind":"md5","value":"x"},{"kind":"md5","value":"x"},{"kind":"md5","value":"x"},{"kind":"md5","value":"x"}]}"#, .contentTooLarge, "items"),
                ("/v1/lookup", .post, "{\"items\":[], \"pad\":\"" + String(repeating: "x", count: 5000) + "\"}", .contentTooLarge, "body"),
                ("/v1/lookup?kind=pdq&value=abc", .get, nil, .badRequest, "value"),
                ("/v1/lookup?value=abc", .get, nil, .badRequest, "kind"),
                ("/v1/signals?limit=0", .get, nil, .badRequest, "limit"),
                ("/v1/signals?origin=NOTANID", .get, nil, .badRequest, "origin"),
                ("/v1/signals/xyz", .get, nil, .badRequest, "id"),
                ("/v1/signals/" + String(repeating: "a", count: 64), .get, nil, .notFound, "id"),
                ("/v1/changes?after=-1", .get, nil, .badRequest, "after"),
                ("/v1/match/text", .post, #"{"txt":"x"}"#, .badRequest, "text"),
                ("/v1/nowhere", .get, nil, .notFound, nil),
            ]
            for (uri, method, text, status, field) in cases {
                try await client.execute(uri: uri, method: method, headers: .bearer(f.publish), body: text.map(body)) { r in
                    #expect(r.status == status, "\(method) \(uri)")
                    #expect(r.headers[.contentType] == "application/problem+json", "\(uri)")
                    #expect(r.problem?.field == field, "\(uri): \(r.problem?.detail ?? "")")
                }
            }
        }
    }

    @Test func aTokenOverItsRateGets429WithRetryAfter() async throws {
        var config = APIConfiguration.forTests
        config.requestsPerSecond = 0.001  // no refill during the test, however slow the machine
        config.burst = 2
        let f = try APIFixture(configuration: config)
        try await f.app.test(.router) { client in
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/signals", method: .get, headers: .bearer(f.lookup)) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/v1/signals", method: .get, headers: .bearer(f.lookup)) { r in
                #expect(r.status == .tooManyRequests)
                #expect(Int(r.headers[.retryAfter] ?? "") ?? 0 >= 1)
            }
            try await client.execute(uri: "/v1/signals", method: .get, headers: .bearer(f.admin)) { #expect($0.status == .ok, "limits are per token") }
        }
    }

    /// PDQ lookups through the API return exactly what a brute-force scan returns, on random
    /// hashes with planted near-duplicates at distances 0 to 40.
    @Test func pdqLookupsEqualABruteForceScan() async throws {
        let f = try APIFixture()
        var rng = SeededRandom(seed: 42)
        var stored: [(String, PDQHash)] = []
        var queries: [PDQHash] = []
        for i in 0..<300 {
            let h = PDQHash(words: (rng.next(), rng.next(), rng.next(), rng.next()))
            let id = try f.store.append([.plain(.publish(try Signal(kind: .pdq, value: h.hex, category: "violence")))], by: f.signer)[0].id.hex
            stored.append((id, h))
            if i % 5 == 0 {
                var w = [h.words.0, h.words.1, h.words.2, h.words.3]
                let flips = Int(rng.next() % 41)
                var bits = Set<Int>()
                while bits.count < flips { bits.insert(Int(rng.next() % 256)) }
                for b in bits { w[b / 64] ^= 1 << UInt64(b % 64) }
                queries.append(PDQHash(words: (w[0], w[1], w[2], w[3])))
            }
        }
        for _ in 0..<20 { queries.append(PDQHash(words: (rng.next(), rng.next(), rng.next(), rng.next()))) }
        let items = queries.map { #"{"kind":"pdq","value":"\#($0.hex)"}"# }.joined(separator: ",")
        let (storedHashes, queryHashes) = (stored, queries)
        try await f.app.test(.router) { client in
            for distance in [0, 16, 31, 40] {
                let results = try await client.execute(uri: "/v1/lookup", method: .post, headers: .bearer(f.lookup),
                                                       body: body(#"{"distance":\#(distance),"items":[\#(items)]}"#)) { try $0.json(LookupResponse.self).results }
                #expect(results.count == queryHashes.count)
                for (q, result) in zip(queryHashes, results) {
                    let expected = Set(storedHashes.filter { $0.1.distance(to: q) <= distance }.map(\.0))
                    #expect(Set(result.matches.map(\.signal.id)) == expected)
                    #expect(result.matches.allSatisfy { $0.distance! <= distance })
                }
            }
        }
    }

    @Test func textMatchingFindsTrendsInCaptions() async throws {
        let f = try APIFixture()
        for trend in ["#BlackoutChallenge", "tide pod challenge"] {
            _ = try f.store.append([.plain(.publish(try Signal(kind: .trend, value: trend, category: "protection_of_minors/unsafe_challenges")))], by: f.signer)
        }
        try await f.app.test(.router) { client in
            let matches = try await client.execute(uri: "/v1/match/text", method: .post, headers: .bearer(f.lookup),
                                                   body: body(#"{"text":"Doing the #blackoutCHALLENGE and the Tide-Pod challenge 😱 #TidePodChallenge"}"#)) {
                try $0.json(TextMatchResponse.self).matches
            }
            #expect(matches.map(\.signal.value) == ["#blackoutchallenge", "tide pod challenge"], "each signal once, in text order")
            try await client.execute(uri: "/v1/match/text", method: .post, headers: .bearer(f.lookup), body: body(#"{"text":"blackouts and challenges"}"#)) {
                let decoded = try $0.json(TextMatchResponse.self).matches.isEmpty
                #expect(decoded)
            }
        }
    }

    @Test func trendsAddedOrRetractedLaterAreMatchedAccordingly() async throws {
        let f = try APIFixture()
        _ = try f.store.append([.plain(.publish(try Signal(kind: .trend, value: "#firstchallenge", category: "protection_of_minors/unsafe_challenges")))], by: f.signer)
        try await f.app.test(.router) { client in
            func matched(_ text: String) async throws -> [String] {
                try await client.execute(uri: "/v1/match/text", method: .post, headers: .bearer(f.lookup), body: body(#"{"text":"\#(text)"}"#)) {
                    try $0.json(TextMatchResponse.self).matches.map(\.signal.value)
                }
            }
            #expect(try await matched("the #FirstChallenge and the second challenge") == ["#firstchallenge"])
            // Added after the index was built: matchable on the next request (incremental add).
            let second = try TestPublisher(store: f.store, signer: f.signer).publish("trend", "second challenge", category: "protection_of_minors/unsafe_challenges")
            #expect(try await matched("the #FirstChallenge and the second challenge") == ["#firstchallenge", "second challenge"])
            // Retracted: no longer reported, though the automaton still holds the term.
            try TestPublisher(store: f.store, signer: f.signer).retract(second, reason: "false positive")
            #expect(try await matched("the #FirstChallenge and the second challenge") == ["#firstchallenge"])
        }
    }

    /// Exact lookups go through the in-memory indicator filter: stored values are found, others
    /// are not, a value stored later by this process is found on the next request, and one
    /// stored by another writer (another store object on the same database, as the CLI would be)
    /// within a few milliseconds.
    @Test func exactLookupsSeeSignalsStoredLaterByThisOrAnotherWriter() async throws {
        let f = try APIFixture()
        let md5 = "0123456789abcdef0123456789abcdef"
        _ = try f.store.append([.plain(.publish(try Signal(kind: .md5, value: md5, category: "protection_of_minors")))], by: f.signer)
        try await f.app.test(.router) { client in
            func matches(_ kind: String, _ value: String) async throws -> Int {
                try await client.execute(uri: "/v1/lookup?kind=\(kind)&value=\(value)", method: .get, headers: .bearer(f.lookup)) {
                    #expect($0.status == .ok)
                    return try $0.json(LookupResponse.self).results[0].matches.count
                }
            }
            #expect(try await matches("md5", md5.uppercased()) == 1)
            #expect(try await matches("md5", String(md5.reversed())) == 0)
            let sha = String(repeating: "ab", count: 32)
            #expect(try await matches("sha256", sha) == 0)
            _ = try f.store.append([.plain(.publish(try Signal(kind: .sha256, value: sha, category: "protection_of_minors")))], by: f.signer)
            #expect(try await matches("sha256", sha) == 1)
            let other = EntryStore(database: f.store.database, reader: nil)
            _ = try other.append([.plain(.publish(try Signal(kind: .url, value: "https://example.org/x", category: "protection_of_minors")))], by: Signer())
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await matches("url", "HTTPS://Example.org:443/x") == 1)
        }
    }

    /// A large batch is split over the cores: results keep the order of the items, and the
    /// first invalid item (in order) is the one the error names.
    @Test func largeBatchesKeepTheirOrderAndNameTheFirstBadItem() async throws {
        let f = try APIFixture()
        let stored = (0..<20).map { String(format: "%032x", $0 * 7 + 1) }
        for v in stored {
            _ = try f.store.append([.plain(.publish(try Signal(kind: .md5, value: v, category: "protection_of_minors")))], by: f.signer)
        }
        var built: [String] = []
        for i in 0..<QueryService.parallelBatch + 44 { built.append(i % 3 == 0 ? stored[(i / 3) % 20] : String(format: "%032x", 1_000_000 + i)) }
        let values = built
        let items = values.map { #"{"kind":"md5","value":"\#($0)"}"# }.joined(separator: ",")
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/v1/lookup", method: .post, headers: .bearer(f.lookup), body: body(#"{"items":[\#(items)]}"#)) { r in
                #expect(r.status == .ok)
                let results = try r.json(LookupResponse.self).results
                #expect(results.map(\.value) == values)
                let expected: [Bool] = values.indices.map { $0 % 3 == 0 }
                #expect(results.map(\.flagged) == expected)
            }
            var bad = values.map { #"{"kind":"md5","value":"\#($0)"}"# }
            bad[40] = #"{"kind":"md5","value":"not hex"}"#
            bad[50] = #"{"kind":"nope","value":"x"}"#
            try await client.execute(uri: "/v1/lookup", method: .post, headers: .bearer(f.lookup), body: body(#"{"items":[\#(bad.joined(separator: ","))]}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(r.problem?.field == "items[40].value")
            }
        }
    }

    @Test func theStreamSendsChangesAsEventsAndResumesFromLastEventID() async throws {
        let f = try APIFixture()
        for v in ["#one", "#two"] {
            _ = try f.store.append([.plain(.publish(try Signal(kind: .trend, value: v, category: "protection_of_minors/unsafe_challenges")))], by: f.signer)
        }
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/v1/stream?maxSeconds=1", method: .get, headers: .bearer(f.lookup)) { r in
                #expect(r.headers[.contentType] == "text/event-stream")
                let text = String(buffer: r.body)
                #expect(text.contains("id: 1\nevent: added\ndata: {"))
                #expect(text.contains("id: 2\nevent: added"))
            }
            var headers = HTTPFields.bearer(f.lookup)
            headers[HTTPField.Name("Last-Event-ID")!] = "1"
            try await client.execute(uri: "/v1/stream?maxSeconds=1", method: .get, headers: headers) { r in
                let text = String(buffer: r.body)
                #expect(!text.contains("id: 1\n") && text.contains("id: 2\n"))
            }
            try await client.execute(uri: "/v1/stream?after=x", method: .get, headers: .bearer(f.lookup)) { #expect($0.status == .badRequest) }
        }
    }

    @Test func localOverridesIgnoreOrFlagIndicatorsOnThisNodeOnly() async throws {
        let f = try APIFixture()
        let md5 = "d41d8cd98f00b204e9800998ecf8427e"
        _ = try f.store.append([.plain(.publish(try Signal(kind: .md5, value: md5, category: "violence")))], by: f.signer)
        try await f.app.test(.router) { client in
            func lookup(_ kind: String, _ value: String) async throws -> LookupResult {
                try await client.execute(uri: "/v1/lookup?kind=\(kind)&value=\(value)", method: .get, headers: .bearer(f.lookup)) {
                    try $0.json(LookupResponse.self).results[0]
                }
            }
            #expect(try await lookup("md5", md5).flagged)
            try await client.execute(uri: "/v1/overrides", method: .put, headers: .bearer(f.publish),
                                     body: body(#"{"kind":"md5","value":"D41D8CD98F00B204E9800998ECF8427E","action":"ignore","note":"empty file"}"#)) { r in
                #expect(r.status == .ok)
                let stored = try r.json(LocalOverride.self)
                #expect(stored.value == md5, "stored canonical")
            }
            let ignored = try await lookup("md5", md5)
            #expect(!ignored.flagged && ignored.matches.isEmpty && ignored.override == "ignore")
            try await client.execute(uri: "/v1/overrides", method: .put, headers: .bearer(f.publish),
                                     body: body(#"{"kind":"url","value":"HTTPS://evil.example/x","action":"flag"}"#)) { #expect($0.status == .ok) }
            let flagged = try await lookup("url", "https://evil.example/x")
            #expect(flagged.flagged && flagged.matches.isEmpty && flagged.override == "flag")
            try await client.execute(uri: "/v1/overrides", method: .get, headers: .bearer(f.lookup)) { r in
                let list = try r.json(OverrideList.self)
                #expect(list.overrides.count == 2)
            }
            try await client.execute(uri: "/v1/overrides", method: .put, headers: .bearer(f.lookup),
                                     body: body(#"{"kind":"md5","value":"\#(md5)","action":"flag"}"#)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/overrides", method: .put, headers: .bearer(f.publish),
                                     body: body(#"{"kind":"md5","value":"\#(md5)","action":"block"}"#)) { #expect($0.problem?.field == "action") }
            try await client.execute(uri: "/v1/overrides?kind=md5&value=\(md5)", method: .delete, headers: .bearer(f.publish)) { #expect($0.status == .noContent) }
            try await client.execute(uri: "/v1/overrides?kind=md5&value=\(md5)", method: .delete, headers: .bearer(f.publish)) { #expect($0.status == .notFound) }
            #expect(try await lookup("md5", md5).flagged, "the signal counts again")
            #expect(try f.store.statistics().entries == 1, "overrides are local: no entry was signed or gossiped")
        }
    }

    @Test func metricsCountAndTimeLookupsAndShowTheNodeSnapshot() async throws {
        let db = try AppDatabase.inMemory()
        let store = EntryStore(database: db, reader: nil)
        let tokens = TokenStore(database: db)
        let token = try tokens.create(name: "t", scopes: [.lookup]).plaintext
        let env = APIEnvironment(store: store, tokens: tokens, names: { _ in "" },
                                 metrics: APIMetrics(snapshot: { [.init("coalition_store_entries", [], 42)] }))
        let app = buildApplication(env)
        try await app.test(.router) { client in
            for _ in 0..<3 {
                try await client.execute(uri: "/v1/lookup?kind=md5&value=d41d8cd98f00b204e9800998ecf8427e", method: .get, headers: .bearer(token)) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains(#"coalition_lookup_requests_total{endpoint="lookup"} 3"#))
                #expect(text.contains(#"coalition_lookup_duration_seconds_count{endpoint="lookup"} 3"#))
                #expect(text.contains("coalition_store_entries 42"))
            }
        }
    }

    @Test func signalListsPageWithACursorAndFilterBySince() async throws {
        let f = try APIFixture()
        for i in 0..<5 {
            _ = try f.store.append([.plain(.publish(try Signal(kind: .trend, value: "#page\(i)", category: "violence")))], by: f.signer, now: 1_700_000_000_000 + Int64(i) * 1000)
        }
        try await f.app.test(.router) { client in
            var seen: [String] = []
            var cursor: String? = nil
            repeat {
                let uri = "/v1/signals?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get, headers: .bearer(f.lookup)) { try $0.json(SignalList.self) }
                seen += page.signals.map(\.value)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen == ["#page4", "#page3", "#page2", "#page1", "#page0"], "newest first, every signal once")
            let recent = try await client.execute(uri: "/v1/signals?since=2023-11-14T22:13:23Z", method: .get, headers: .bearer(f.lookup)) {
                try $0.json(SignalList.self).signals.map(\.value)
            }
            #expect(recent == ["#page4", "#page3"])
            try await client.execute(uri: "/v1/signals?cursor=nonsense", method: .get, headers: .bearer(f.lookup)) { #expect($0.problem?.field == "cursor") }
            try await client.execute(uri: "/v1/signals?since=yesterday", method: .get, headers: .bearer(f.lookup)) { #expect($0.problem?.field == "since") }
        }
    }

    @Test func aRestrictedSignalThisNodeCanReadIsAnnouncedAsReadable() async throws {
        let db = try AppDatabase.inMemory()
        let me = Signer()
        let store = EntryStore(database: db, reader: me)
        let tokens = TokenStore(database: db)
        let token = try tokens.create(name: "t", scopes: [.lookup]).plaintext
        let app = buildApplication(APIEnvironment(store: store, tokens: tokens, names: { _ in "" }))
        let other = Signer()
        let sealed = try Signal(kind: .sha256, value: String(repeating: "ab", count: 32), category: "violence", tlp: .red)
        _ = try store.append([.plain(.publish(try Signal(kind: .md5, value: String(repeating: "0", count: 32), category: "violence")))], by: other)
        _ = try store.append([.sealed(.publish(sealed), recipients: [me.publicKey])], by: other)
        try await app.test(.router) { client in
            let feed = try await client.execute(uri: "/v1/changes", method: .get, headers: .bearer(token)) { try $0.json(ChangeFeed.self) }
            #expect(feed.changes.map(\.kind) == ["added", "added", "readable"])
            #expect(feed.changes[1].cursor == feed.changes[2].cursor)
        }
    }

    @Test func publishingRejectsBadSignalsAndStancesByField() async throws {
        let f = try APIFixture()
        try await f.app.test(.router) { client in
            try await client.execute(uri: "/v1/signals", method: .post, headers: .bearer(f.publish), body: body(#"{"kind":"md5","value":"xyz","category":"violence"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(r.problem?.field == "value")
            }
            try await client.execute(uri: "/v1/signals", method: .post, headers: .bearer(f.publish), body: body(#"{"kind":"md5"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(r.problem?.field == "value")
            }
            let id = try await client.execute(uri: "/v1/signals", method: .post, headers: .bearer(f.publish),
                                              body: body(#"{"kind":"md5","value":"d41d8cd98f00b204e9800998ecf8427e","category":"violence"}"#)) { try $0.json(SignalView.self).id }
            try await client.execute(uri: "/v1/signals/\(id)/opinions", method: .post, headers: .bearer(f.publish), body: body(#"{"stance":"love"}"#)) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/v1/signals/\(String(repeating: "0", count: 64))/opinions", method: .post, headers: .bearer(f.publish),
                                     body: body(#"{"stance":"confirm"}"#)) { #expect($0.status == .notFound) }
        }
    }

    @Test func aRequestOverItsDeadlineGets503() async throws {
        let router = Router()
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: TimeoutMiddleware(seconds: 0.2))
        router.post("slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(600))
            return "late"
        }
        router.post("fast") { _, _ -> String in "ok" }
        // Requests without a body are not wrapped (their handlers here never wait).
        router.get("unwrapped") { _, _ -> String in
            try await Task.sleep(for: .milliseconds(500))
            return "waited"
        }
        try await Application(router: router).test(.router) { client in
            let start = ContinuousClock.now
            try await client.execute(uri: "/slow", method: .post, body: ByteBuffer(string: "{}")) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "1")
            }
            #expect(ContinuousClock.now - start < .seconds(300), "the slow handler was cancelled, not awaited")
            try await client.execute(uri: "/fast", method: .post, body: ByteBuffer(string: "{}")) { #expect($0.status == .ok) }
            try await client.execute(uri: "/unwrapped", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "waited")
            }
        }
    }

    @Test func aLiveServerAnswersOverHTTP() async throws {
        let f = try APIFixture()
        try await f.app.test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/lookup?kind=md5&value=D41D8CD98F00B204E9800998ECF8427E", method: .get, headers: .bearer(f.lookup)) { r in
                #expect(r.status == .ok)
                let decoded = try r.json(LookupResponse.self).results[0].canonical
                #expect(decoded == "d41d8cd98f00b204e9800998ecf8427e")
            }
            try await client.execute(uri: "/v1/lookup", method: .get, headers: .bearer(f.lookup)) { #expect($0.status == .badRequest) }
        }
    }
}

/// The hand-written RFC 3339 formatter writes what Foundation's ISO 8601 formatter writes (from
/// the Gregorian reform on: before 1582 Foundation switches to the Julian calendar, while RFC 3339
/// and this formatter stay proleptic Gregorian).
@Test func signalTimesAreFormattedAsFoundationFormatsThem() {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    var rng = SeededRandom(seed: 9)
    let samples: [Int64] = [0, 1, -1, 999, -1000, 951_782_400_000, 1_767_225_600_000, 4_102_444_799_999, -11_000_000_000_000]
        + (0..<2_000).map { _ in Int64(rng.next() % 8_000_000_000_000) - 2_000_000_000_000 }
    for ms in samples {
        #expect(SignalView.time(ms) == f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)), "\(ms)")
    }
}

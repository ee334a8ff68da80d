@testable import CoalitionDashboard
import CoalitionCore
import CoalitionCrypto
@testable import CoalitionQuery
import CoalitionStore
import Testing

@Suite struct HTMLTests {
    @Test func interpolatedTextIsEscapedAndFragmentsAreNot() {
        let note = "<script>alert('x')</script> & \"quotes\""
        let inner: HTML = "<b>\(note)</b>"
        let page: HTML = "<p title=\"\(note)\">\(inner)</p>"
        #expect(page.text == "<p title=\"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;\"><b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;</b></p>")
        let missing: String? = nil
        #expect(HTML("[\(missing)]").text == "[]")
    }

    @Test func formBodiesDecodePlusPercentAndBadEscapes() {
        let f = FormBody(Array("a=1+2&b=%3Cx%3E&c=%zz&d&a=second&e=%E2%82%AC&f=%4".utf8))
        #expect(f["a"] == "1 2")
        #expect(f["b"] == "<x>")
        #expect(f["c"] == "%zz")
        #expect(f["d"] == "")
        #expect(f["e"] == "€")
        #expect(f["f"] == "%4")
        #expect(f.trimmed("d") == nil)
        #expect(FormBody(Array("".utf8))["a"] == nil)
    }

    @Test func notesOfChildSafetyAndTerrorismAreHiddenUntilClicked() {
        #expect(Layout.hidesNote("protection_of_minors/unsafe_challenges"))
        #expect(Layout.hidesNote("risk_for_public_security/terrorist_content"))
        #expect(Layout.hidesNote("risk_for_public_security/tvec_attacker_manifesto"))
        #expect(!Layout.hidesNote("scams_and_fraud"))
        #expect(Layout.note("graphic", category: "protection_of_minors").text.hasPrefix("<details"))
        #expect(Layout.note("<i>", category: "scams_and_fraud").text == "&lt;i&gt;")
    }

    @Test func chartsEscapeTheirLabelsAndScaleToTheTallestBar() {
        let svg = Chart.stacked(title: "t<", labels: ["<a>", "b"], series: [("m&", [2, 4])]).text
        #expect(svg.contains("&lt;a&gt;") && !svg.contains("<a>") && svg.contains("m&amp;"))
        #expect(svg.contains(">4</text>"))
        #expect(Chart.fmt(12.34) == "12.3" && Chart.fmt(0.04) == "0.0" && Chart.fmt(-1.5) == "-1.5")
    }

    @Test func sessionsEndWhenIdleAndSecretsCompareExactly() async throws {
        let store = SessionStore(idleLimit: .milliseconds(50), lifetime: .seconds(60), capacity: 2)
        let token = try TokenStore(database: try AppDatabase.inMemory()).create(name: "n", scopes: [.lookup]).token
        let s = store.open(for: token)
        #expect(store.session(s.id)?.tokenID == token.id)
        #expect(!(store.session(s.id)?.allows(.admin) ?? true))
        try await Task.sleep(for: .milliseconds(120))
        #expect(store.session(s.id) == nil)
        // Full: the least recently used goes.
        let x = store.open(for: token), y = store.open(for: token), z = store.open(for: token)
        #expect(store.count == 2 && store.session(x.id) == nil && store.session(y.id) != nil && store.session(z.id) != nil)
        store.closeAll(ofToken: token.id)
        #expect(store.count == 0)
        #expect(SessionStore.same("abc", "abc") && !SessionStore.same("abc", "abd") && !SessionStore.same("abc", "ab"))
        #expect(SessionStore.random() != SessionStore.random() && SessionStore.random().count == 43)
    }
}

@Suite struct TransparencyReportTests {
    static let alice = Signer(), bob = Signer()

    static func tallies() -> ReportTallies {
        var t = ReportTallies()
        let k1 = ReportTallies.Key(author: alice.publicKey, category: "violence", kind: "trend")
        let k2 = ReportTallies.Key(author: bob.publicKey, category: "scams_and_fraud", kind: "url")
        t.published = [k1: 4, k2: 2]
        t.retracted = [k1: ["false positive": 1, "a b\nc": 1]]
        t.disputed = [k1: 1]
        t.confirmed = [k2: 2]
        t.restricted = [bob.publicKey: 3]
        t.equivocators = [bob.publicKey]
        return t
    }

    @Test func theDigestDependsOnTheTalliesAndThePeriodButNotOnLocalNames() {
        let t = Self.tallies()
        let one = TransparencyReport(from: 0, to: 86_400_000, tallies: t, local: .init(), node: "n1", name: { _ in "one name" })
        var local = LocalReportFigures()
        local.lookups = 99
        let two = TransparencyReport(from: 0, to: 86_400_000, tallies: t, local: local, node: "n2", name: { _ in "another" })
        #expect(one.coalition.digest == two.coalition.digest)
        let later = TransparencyReport(from: 1, to: 86_400_000, tallies: t, local: .init(), node: "n1", name: { _ in "x" })
        #expect(later.coalition.digest != one.coalition.digest)
        var more = t
        more.disputed[more.disputed.keys.first!]! += 1
        #expect(TransparencyReport(from: 0, to: 86_400_000, tallies: more, local: .init(), node: "n1", name: { _ in "x" }).coalition.digest != one.coalition.digest)
    }

    @Test func totalsRatesAndCSV() {
        let r = TransparencyReport(from: 0, to: 86_400_000, tallies: Self.tallies(), local: .init(), node: "n", name: { $0 == Self.alice.publicKey ? "alice" : "=bob" })
        #expect(r.coalition.total.published == 6 && r.coalition.total.retracted == 2 && r.coalition.total.restricted == 3)
        #expect(r.coalition.total.disputeRate == 0.1667)
        #expect(r.coalition.byMember.first { $0.name == "alice" }?.disputeRate == 0.25)
        #expect(r.coalition.retractedByReason == ["false positive": 1, "a b\nc": 1])
        let csv = r.csv()
        #expect(csv.contains(",'=bob,"), "a name that starts a formula is quoted")
        #expect(csv.contains("\"retracted:a b\nc\""))
        #expect(csv.hasSuffix("digest,,,,,sha256,\(r.coalition.digest)\n"))
        #expect(TransparencyReport.escape("a b\n%") == "a%20b%0A%25")
    }

    @Test func periodsFromDatesAndDateTimes() throws {
        let p = try QueryService.reportPeriod(from: "2026-01-01", to: "2026-01-31")
        #expect(p.from == 1_767_225_600_000 && p.to == 1_767_225_600_000 + 31 * 86_400_000)
        let q = try QueryService.reportPeriod(from: "2026-01-01T12:00:00Z", to: "2026-01-02T00:00:00.500Z")
        #expect(q.to - q.from == 12 * 3_600_000 + 500)
        #expect(throws: CoalitionError.self) { try QueryService.reportPeriod(from: "soon", to: nil) }
        #expect(throws: CoalitionError.self) { try QueryService.reportPeriod(from: "2026-02-01", to: "2026-01-01") }
        let d = try QueryService.reportPeriod(from: nil, to: nil, now: 1_767_225_600_000 + 5_000)
        #expect(d.to - d.from == 30 * 86_400_000 && d.to == 1_767_225_600_000 + 86_400_000)
    }
}

import CoalitionCore
import CoalitionCrypto
import Testing

@Suite("Indicators")
struct IndicatorKeyTests {
    @Test("byte-different values are different indicators, even when canonically equivalent")
    func bytesNotCanonicalEquivalence() throws {
        let composed = IndicatorKey(kind: .trend, value: "#d\u{E9}fi")      // é precomposed
        let decomposed = IndicatorKey(kind: .trend, value: "#de\u{301}fi")  // e + combining acute
        #expect(composed.value == decomposed.value)  // Swift String equality says equal…
        #expect(composed != decomposed)              // …the protocol compares bytes.
        #expect(Set([composed, decomposed]).count == 2)
    }

    @Test("the in-memory state keeps them apart too")
    func stateKeepsThemApart() throws {
        let a = try Signer(seed: [UInt8](repeating: 4, count: 32))
        func publish(_ v: String, seq: UInt64, prev: EntryID) throws -> Entry {
            try Entry.sign(by: a, seq: seq, prev: prev, timestamp: 1,
                           body: .publish(Signal(validated: .trend, value: v, category: "violence", severity: .low, tlp: .clear,
                                                 labels: [], expiresAt: nil, note: nil, quality: nil)))
        }
        let e1 = try publish("#d\u{E9}fi", seq: 1, prev: .zero)
        let e2 = try publish("#de\u{301}fi", seq: 2, prev: e1.id)
        var r = Replica()
        r.receive(e1); r.receive(e2)
        #expect(r.state.indicators.count == 2)
    }
}

import CoalitionCore
import Testing

/// The one "is it in force" rule that the merged state, the store and the API all apply.
@Suite struct SignalStatusTests {
    @Test("retracted beats everything; expiry is exclusive at expiresAt; no expiry stays active", arguments: [
        (false, nil, 5, SignalStatus.active),
        (false, 10, 9, .active),
        (false, 10, 10, .expired),
        (false, 10, 11, .expired),
        (true, nil, 5, .retracted),
        (true, 10, 9, .retracted),
        (true, 10, 11, .retracted),
    ] as [(Bool, Int64?, Int64, SignalStatus)])
    func rule(retracted: Bool, expiresAt: Int64?, now: Int64, expected: SignalStatus) {
        let status = SignalStatus(retracted: retracted, expiresAt: expiresAt, now: now)
        #expect(status == expected)
        #expect(status.isActive == (expected == .active))
    }
}

import CoalitionCore
import CoalitionMedia
import CoalitionStore

extension QueryService {
    /// The stored `vpdq` signals found in an uploaded video under the vPDQ rule: each stored
    /// signal is the rule's query (at least 80 % of its frames of quality ≥ 50 within 31 bits of
    /// a frame of the upload), the upload its target. Hash the upload at every frame
    /// (`MediaHasher(secondsPerFrame: 0)`): see ``VPDQHash/MatchRule``.
    ///
    /// The stored videos are scanned one by one, which suits thousands of video signals, not
    /// millions.
    public func lookupVideo(_ upload: VPDQHash, rule: VPDQHash.MatchRule = VPDQHash.MatchRule(), includeInactive: Bool = false) throws -> LookupResult {
        let now = Int64.nowMillis
        var found: [EntryID] = []
        try store.forEachLiveSignal(kinds: [.other("vpdq")]) { id, _, value in
            guard let stored = VPDQHash(value: value), stored.match(upload, rule: rule).isMatch else { return }
            found.append(id)
        }
        var matches: [SignalMatch] = []
        for id in found {
            guard let row = try store.signal(id), includeInactive || row.isActive(now: now) else { continue }
            matches.append(SignalMatch(distance: nil, signal: try view(row)))
        }
        let value = upload.value
        return result(LookupItem(kind: "vpdq", value: value), canonical: value, matches: matches, override: nil, flag: false)
    }
}

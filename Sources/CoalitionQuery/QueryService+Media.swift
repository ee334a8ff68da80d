import CoalitionCore
import CoalitionMedia
import CoalitionStore

extension QueryService {
    /// Looks up what an uploaded file hashed to: its PDQ hash (under `o`), or its vPDQ hash
    /// under the vPDQ rule, then its md5 and sha256. One result per hash, in the order of
    /// `hashes.hashes`. A video should be hashed at every frame (see ``lookupVideo(_:rule:includeInactive:)``).
    public func lookup(media hashes: MediaHashes, _ o: LookupOptions) throws -> [LookupResult] {
        var out: [LookupResult] = []
        for h in hashes.hashes {
            if h.kind == MatchIndex.videoKind.name, let upload = hashes.vpdq {
                out.append(try lookupVideo(upload, includeInactive: o.includeInactive))
            } else {
                out.append(try lookup(LookupItem(kind: h.kind, value: h.value), o))
            }
        }
        return out
    }

    /// The stored `vpdq` signals found in an uploaded video under the vPDQ rule: each stored
    /// signal is the rule's query (at least 80 % of its frames of quality ≥ 50 within 31 bits of
    /// a frame of the upload), the upload its target. Hash the upload at every frame
    /// (`MediaHasher(secondsPerFrame: 0)`): see ``VPDQHash/MatchRule``.
    ///
    /// Candidates come from the PDQ index, which holds every indexed frame of every video signal:
    /// a stored video can only match if one of its frames is within the rule's distance of one
    /// of the upload's. Only those candidates are read and checked under the full rule. A rule
    /// that counts frames of lower quality than the index holds scans every video signal instead.
    public func lookupVideo(_ upload: VPDQHash, rule: VPDQHash.MatchRule = VPDQHash.MatchRule(), includeInactive: Bool = false) throws -> LookupResult {
        let now = Int64.nowMillis
        try index.refresh()
        var candidates: [EntryID] = []
        if rule.minQuality >= MatchIndex.videoFrameQuality {
            let frames = Set(upload.frames.filter { $0.quality >= rule.minQuality }.map(\.hash))
            candidates = Array(index.videos(near: Array(frames), radius: rule.distance))
        } else {
            try store.forEachLiveSignal(kinds: [MatchIndex.videoKind]) { id, _, value in
                if let stored = VPDQHash(value: value), stored.match(upload, rule: rule).isMatch { candidates.append(id) }
            }
        }
        var matches: [SignalMatch] = []
        for id in candidates {
            guard let row = try store.signal(id), includeInactive || row.isActive(now: now),
                  let stored = VPDQHash(value: row.signal.value), stored.match(upload, rule: rule).isMatch else { continue }
            matches.append(SignalMatch(distance: nil, signal: try view(row)))
        }
        matches.sort { $0.signal.id < $1.signal.id }
        let value = upload.value
        return result(LookupItem(kind: "vpdq", value: value), canonical: value, matches: matches, override: nil, flag: false)
    }
}

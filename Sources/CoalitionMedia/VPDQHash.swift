import CoalitionCore
import CoalitionMatch

/// A video's vPDQ hash: the PDQ hash and quality of frames sampled at a fixed interval (one a
/// second by default), with repeated hashes removed, as Meta's reference vPDQ computes it.
///
/// As a signal (kind `vpdq`, `Protocol/SPEC.md` §5.1) its canonical value is the frames in time
/// order, each as 66 lowercase hex digits: the quality as two digits (`00`–`64`), then the
/// 64-digit PDQ hash. At most ``maxFrames`` frames fit in a signal value (2,046 bytes); a longer
/// video keeps that many, evenly spaced over its frames.
public struct VPDQHash: Sendable, Equatable {
    /// One sampled frame.
    public struct Frame: Sendable, Equatable {
        public var hash: PDQHash
        public var quality: Int
        /// Where the frame is in the video, in seconds (not part of the signal value).
        public var seconds: Double
        public init(hash: PDQHash, quality: Int, seconds: Double = 0) {
            self.hash = hash
            self.quality = quality
            self.seconds = seconds
        }
    }

    /// Frames in time order.
    public var frames: [Frame]

    public init(frames: [Frame]) { self.frames = frames }

    /// The most frames a signal value holds: 31 × 66 = 2,046 bytes, under the 2,048-byte limit.
    public static let maxFrames = 31
    /// Hex digits per frame in the value.
    static let frameDigits = 66

    /// The reference's matching parameters, as python-threatexchange uses them (quality 50,
    /// distance 31, 80 % of the query's frames, any share of the target's).
    ///
    /// To find a stored video in an upload, the stored signal is the query and the upload,
    /// hashed at every frame, the target: at 1 frame a second two edits of one clip can sample
    /// frames a fraction of a second apart that differ by more than 31 bits (the `chair-*`
    /// fixtures do), while every stored frame finds its twin among all of the upload's frames.
    public struct MatchRule: Sendable, Equatable {
        /// Frames below this quality are left out on both sides.
        public var minQuality = 50
        /// Two frames match within this many bits.
        public var distance = 31
        /// The share of the query's frames that must match a target frame, in percent.
        public var queryMatchPercent = 80.0
        /// The share of the target's frames that must match a query frame, in percent.
        public var targetMatchPercent = 0.0
        public init() {}
    }

    /// How much of each video matched the other.
    public struct Match: Sendable, Equatable {
        public var queryMatchPercent: Double
        public var targetMatchPercent: Double
        public var isMatch: Bool
    }

    /// The frames with distinct hashes, first occurrence kept.
    public func deduplicated() -> VPDQHash {
        var seen = Set<PDQHash>()
        return VPDQHash(frames: frames.filter { seen.insert($0.hash).inserted })
    }

    /// This video as the query against `target`, under `rule`: each side's share of frames (of
    /// quality at least `minQuality`, duplicates removed) within `distance` bits of some frame of
    /// the other, and whether both shares reach their thresholds.
    public func match(_ target: VPDQHash, rule: MatchRule = MatchRule()) -> Match {
        func usable(_ v: VPDQHash) -> [PDQHash] {
            var seen = Set<PDQHash>()
            return v.frames.filter { $0.quality >= rule.minQuality }.map(\.hash).filter { seen.insert($0).inserted }
        }
        let q = usable(self), t = usable(target)
        guard !q.isEmpty, !t.isEmpty else { return Match(queryMatchPercent: 0, targetMatchPercent: 0, isMatch: false) }
        let qm = q.filter { a in t.contains { a.distance(to: $0) <= rule.distance } }.count
        let tm = t.filter { a in q.contains { a.distance(to: $0) <= rule.distance } }.count
        let qp = Double(qm) * 100 / Double(q.count), tp = Double(tm) * 100 / Double(t.count)
        return Match(queryMatchPercent: qp, targetMatchPercent: tp, isMatch: qp >= rule.queryMatchPercent && tp >= rule.targetMatchPercent)
    }

    /// The canonical signal value: distinct frames (evenly thinned to ``maxFrames``), 66 hex
    /// digits each.
    public var value: String {
        var kept = deduplicated().frames
        if kept.count > Self.maxFrames {
            let n = kept.count
            kept = (0..<Self.maxFrames).map { kept[$0 * n / Self.maxFrames] }
        }
        return kept.map { f in
            let q = String(min(100, max(0, f.quality)), radix: 16)
            return (q.count == 1 ? "0" + q : q) + f.hash.hex
        }.joined()
    }

    /// Parses a canonical value; nil unless it is 1–31 frames of 66 lowercase hex digits with a
    /// quality of at most 100 (0x64).
    public init?(value: String) {
        let utf8 = Array(value.utf8)
        guard !utf8.isEmpty, utf8.count % Self.frameDigits == 0, utf8.count / Self.frameDigits <= Self.maxFrames,
              utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else { return nil }
        var frames: [Frame] = []
        for start in stride(from: 0, to: utf8.count, by: Self.frameDigits) {
            guard let quality = Int(String(decoding: utf8[start..<(start + 2)], as: UTF8.self), radix: 16), quality <= 100,
                  let hash = PDQHash(hex: String(decoding: utf8[(start + 2)..<(start + Self.frameDigits)], as: UTF8.self))
            else { return nil }
            frames.append(Frame(hash: hash, quality: quality))
        }
        self.frames = frames
    }
}

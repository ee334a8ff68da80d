import CoalitionCore
import CoalitionCrypto
import CoalitionMatch
import CoalitionMedia
import CoalitionQuery
import CoalitionStore
import Foundation
import Testing

/// Video signals in the match indexes: every frame of a stored `vpdq` signal is in the PDQ index
/// under that signal, so a video upload (or a still from it) finds it without a scan, loaded in
/// bulk or applied from the commit feed, and a retraction takes its frames out.
@Suite struct VideoLookupTests {
    let store: EntryStore
    let query: QueryService
    let us = try! Signer()
    let frames = RandomFrames()

    init() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("coalition-video-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = EntryStore(database: try .open(path: dir.appendingPathComponent("node.sqlite").path), reader: nil)
        query = QueryService(store: store, names: { _ in "video-app" })
    }

    func video(_ count: Int, quality: Int = 80) -> VPDQHash { frames.video(count, quality: quality) }

    /// `hash` with its first `bits` bits flipped.
    func flip(_ hash: PDQHash, _ bits: Int) -> PDQHash {
        var w = hash.words
        w.0 ^= bits >= 64 ? ~0 : (1 << UInt64(bits)) - 1
        return PDQHash(words: w)
    }

    @discardableResult
    func publish(_ video: VPDQHash) throws -> Entry {
        let signal = try Signal(kind: .other("vpdq"), value: video.value, category: "violence")
        return try store.append([.plain(.publish(signal))], by: us)[0]
    }

    @Test("a re-encoded upload finds its video, a partial one does not; a frame as a still finds the video once; retraction removes the frames")
    func videosAreIndexedByFrame() throws {
        let a = video(10), b = video(10)
        let lowQuality = video(10, quality: 10)
        let ea = try publish(a), eb = try publish(b)
        try publish(lowQuality)
        // Loaded in bulk on the first lookup.
        #expect(try query.loadIndexes().contains("frames of 2 videos"))

        // Every frame re-encoded (10 bits off), with unrelated frames around them: A only.
        let upload = VPDQHash(frames: a.frames.map { VPDQHash.Frame(hash: flip($0.hash, 10), quality: 70) } + video(20).frames)
        #expect(try query.lookupVideo(upload).matches.map(\.signal.id) == [ea.id.hex])
        // 7 of B's 10 frames: under the 80 % of the rule.
        let partial = VPDQHash(frames: Array(b.frames.prefix(7)))
        #expect(try query.lookupVideo(partial).matches.isEmpty)
        let most = VPDQHash(frames: Array(b.frames.prefix(8)))
        #expect(try query.lookupVideo(most).matches.map(\.signal.id) == [eb.id.hex])
        // Frames of quality under 50 are not indexed, and say nothing.
        #expect(try query.lookupVideo(lowQuality).matches.isEmpty)

        // A still of one frame finds the video once, at that frame's distance, even when two
        // frames are near it.
        let still = flip(a.frames[3].hash, 5)
        let hit = try query.lookup(LookupItem(kind: "pdq", value: still.hex), try query.options())
        #expect(hit.matches.map(\.signal.id) == [ea.id.hex])
        #expect(hit.matches.map(\.distance) == [5])

        // Published after the load: applied from the commit feed.
        let c = video(5)
        let ec = try publish(c)
        #expect(try query.lookupVideo(c).matches.map(\.signal.id) == [ec.id.hex])

        // Retracted: neither the video lookup nor the still finds it.
        try store.append([.plain(.retract(try Retraction(target: ea.id, reason: "wrong clip")))], by: us)
        #expect(try query.lookupVideo(upload).matches.isEmpty)
        #expect(try query.lookup(LookupItem(kind: "pdq", value: still.hex), try query.options()).matches.isEmpty)
        #expect(try query.lookupVideo(c).matches.map(\.signal.id) == [ec.id.hex])

        // A rule that counts lower-quality frames than the index holds scans instead, with the
        // same answer for the stored videos of good quality.
        var rule = VPDQHash.MatchRule()
        rule.minQuality = 0
        #expect(try query.lookupVideo(c, rule: rule).matches.map(\.signal.id) == [ec.id.hex])
        #expect(try query.lookupVideo(lowQuality, rule: rule).matches.count == 1)
    }
}

/// Seeded random frame hashes.
final class RandomFrames: @unchecked Sendable {
    private var random = SplitMix64(seed: 25)

    /// A video of `count` random frames of quality `quality`.
    func video(_ count: Int, quality: Int = 80) -> VPDQHash {
        VPDQHash(frames: (0..<count).map { i in
            VPDQHash.Frame(hash: PDQHash(words: (random.next(), random.next(), random.next(), random.next())), quality: quality, seconds: Double(i))
        })
    }
}

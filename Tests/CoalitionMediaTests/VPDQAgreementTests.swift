import CoalitionCore
import CoalitionMatch
import CoalitionTestSupport
import Foundation
import Testing

@testable import CoalitionMedia

@Suite("vPDQ agrees with the reference (the PyPI vpdq package, computed in this run)")
struct VPDQAgreementTests {
    @Test("every sampled frame is within 4 bits of vpdq's; the chair edits match each other and nothing else does")
    func videos() async throws {
        let items = try MediaFixtures.reference("videos")
        #expect(items.count == 6, "expected the 6 fixture videos, got \(items.count)")
        // A debug build on a loaded machine is far slower than the daemon: the time limit
        // here is generous; HostileMediaTests checks that the limit itself is kept.
        var limits = MediaLimits.default
        limits.timeout = .seconds(900)
        let hasher = MediaHasher(limits: limits)
        var hashes: [String: VPDQHash] = [:]
        for item in items {
            let name = item["name"] as? String ?? "?"
            let path = try #require(item["path"] as? String)
            let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
            let result = try await offCooperativePool { try hasher.hash(bytes) }
            let mine = try #require(result.vpdq)
            let reference = item["frames"] as? [[String: Any]] ?? []
            #expect(mine.frames.count == reference.count, "\(name): \(mine.frames.count) frames, the reference has \(reference.count)")
            for (f, r) in zip(mine.frames, reference) {
                let h = try #require(PDQHash(hex: r["pdq"] as? String ?? ""))
                #expect(f.hash.distance(to: h) <= 4, "\(name) at \(f.seconds) s: \(f.hash.distance(to: h)) bits from vpdq")
            }
            // The value round-trips through the signal encoding.
            let value = try #require(result.value(of: "vpdq")).value
            #expect(VPDQHash(value: value) != nil, "\(name): its vpdq value does not parse")
            hashes[name] = mine
        }
        let chairs = hashes.keys.filter { $0.hasPrefix("chair-") }.sorted()
        let others = hashes.keys.filter { !$0.hasPrefix("chair-") }.sorted()
        #expect(chairs.count == 3 && others.count == 3)
        // Uploads are hashed at every frame; the stored hashes (above) at 1 frame a second.
        let everyFrame = MediaHasher(limits: limits, secondsPerFrame: 0)
        for a in chairs {
            let bytes = try MediaFixtures.file("videos/\(a)")
            let upload = try #require(try await offCooperativePool { try everyFrame.hash(bytes) }.vpdq)
            for b in chairs where a != b {
                let m = hashes[b]!.match(upload)
                #expect(m.isMatch, "the stored \(b) should be found in an upload of \(a): \(m)")
            }
            for o in others {
                #expect(!hashes[o]!.match(upload).isMatch, "the stored \(o) should not be found in \(a)")
                #expect(!hashes[a]!.match(hashes[o]!).isMatch, "the stored \(a) should not be found in \(o)")
            }
        }
    }

    @Test("a vpdq value parses back to its frames, and malformed values are refused")
    func value() throws {
        let a = PDQHash(words: (1, 2, 3, 4)), b = PDQHash(words: (5, 6, 7, 8))
        let v = VPDQHash(frames: [.init(hash: a, quality: 100), .init(hash: a, quality: 100), .init(hash: b, quality: 7)])
        #expect(v.value == "64" + a.hex + "07" + b.hex)
        #expect(VPDQHash(value: v.value)?.frames.map(\.hash) == [a, b])
        #expect(VPDQHash(value: "") == nil)
        #expect(VPDQHash(value: "65" + a.hex) == nil, "quality over 100")
        let lettered = PDQHash(words: (0xABCD_EF01, 2, 3, 4))
        #expect(VPDQHash(value: "64" + lettered.hex) != nil)
        #expect(VPDQHash(value: "64" + lettered.hex.uppercased()) == nil)
        #expect(VPDQHash(value: String(repeating: "64" + a.hex, count: 32)) == nil, "32 frames do not fit")
        let long = VPDQHash(frames: (0..<100).map { .init(hash: PDQHash(words: (UInt64($0), 0, 0, 0)), quality: 90) })
        #expect(long.value.utf8.count == 31 * 66)
    }
}

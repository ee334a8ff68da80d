import CoalitionCore
import CoalitionMatch
import Foundation
import Testing

@testable import CoalitionMedia

@Suite("PDQ agrees with the reference (pdqhash on Pillow RGB pixels, computed in this run)")
struct PDQAgreementTests {
    static func bytes(of item: [String: Any]) throws -> [UInt8] {
        if let path = item["path"] as? String, let data = FileManager.default.contents(atPath: path) { return [UInt8](data) }
        guard let b64 = item["bytes"] as? String, let data = Data(base64Encoded: b64) else {
            throw MediaFixtures.FixtureError("no bytes for \(item["name"] ?? "?")")
        }
        return [UInt8](data)
    }

    @Test("fixture and generated images: ≥ 90 % equal (hash and quality), none over 4 bits away")
    func agreement() throws {
        let items = try MediaFixtures.reference("images")
        #expect(items.count >= 45, "expected every fixture image and the generated ones, got \(items.count)")
        let hasher = MediaHasher()
        var equal = 0
        var report: [String] = []
        for item in items {
            let name = item["name"] as? String ?? "?"
            let result = try hasher.hash(try Self.bytes(of: item))
            let reference = try #require(PDQHash(hex: item["pdq"] as? String ?? ""))
            let mine = try #require(result.pdq)
            let distance = mine.hash.distance(to: reference)
            let quality = item["quality"] as? Int ?? -1
            if distance == 0, quality == mine.quality { equal += 1 } else { report.append("\(name): \(distance) bits, quality \(mine.quality) vs \(quality)") }
            #expect(distance <= 4, "\(name): \(distance) bits from the reference")
        }
        #expect(equal * 10 >= items.count * 9, "only \(equal) of \(items.count) equal the reference: \(report)")
    }

    @Test("an animated WebP and an animated GIF are hashed from their first frame, equal to the reference's")
    func animatedFirstFrames() throws {
        let items = try MediaFixtures.reference("images").filter { ($0["name"] as? String ?? "").hasPrefix("animated.") }
        #expect(items.count == 2)
        for item in items {
            let result = try MediaHasher().hash(try Self.bytes(of: item))
            let mine = try #require(result.pdq)
            #expect(mine.hash.hex == item["pdq"] as? String && mine.quality == item["quality"] as? Int, "\(item["name"] ?? "?")")
            #expect(result.width == 320 && result.height == 240)
        }
    }

    @Test("every pixel format in modes/ is within 8 bits of the RGB original")
    func pixelFormats() throws {
        let hasher = MediaHasher()
        let original = try #require(try hasher.hash(MediaFixtures.file("images/modes/original.jpg")).pdq)
        for mode in ["1.png", "CMYK.jpg", "F.webp", "HSV.webp", "I.webp", "L.png", "LA.png", "LAB.webp", "P.png", "PA.webp", "RGB.jpg", "RGBA.png", "YCbCr.jpg"] {
            let h = try #require(try hasher.hash(MediaFixtures.file("images/modes/\(mode)")).pdq)
            #expect(h.hash.distance(to: original.hash) <= 8, "\(mode): \(h.hash.distance(to: original.hash)) bits from the original")
        }
    }

    static func decode(_ bytes: [UInt8]) throws -> RGBImage {
        try bytes.withUnsafeBytes { raw in try ImageDecoder().decode(raw) }
    }

    @Test("the 8 dihedral hashes of the original find all 8 orientations, and the edits match within 31 bits")
    func dihedralAndEdits() throws {
        let (_, variants) = PDQ.dihedral(try Self.decode(MediaFixtures.file("images/dih/bridge-1-original.jpg")))
        #expect(variants.count == 8)
        let files = ["bridge-1-original", "bridge-2-rotate-90", "bridge-3-rotate-180", "bridge-4-rotate-270",
                     "bridge-5-flipx", "bridge-6-flipy", "bridge-7-flip-plus-1", "bridge-8-flip-minus-1"]
        let hasher = MediaHasher()
        for (file, orientation) in zip(files, PDQ.Orientation.allCases) {
            let h = try #require(try hasher.hash(MediaFixtures.file("images/dih/\(file).jpg")).pdq).hash
            let d = try #require(variants[orientation]).distance(to: h)
            #expect(d <= 31, "\(file): \(d) bits from the original's \(orientation) variant")
            let plain = try #require(variants[.original]).distance(to: h)
            if orientation != .original { #expect(plain > 31, "\(file) should not match without the dihedral variants (\(plain) bits)") }
        }
        let original = try #require(try hasher.hash(MediaFixtures.file("images/bridge-mods/aaa-orig.jpg")).pdq).hash
        let edits = try FileManager.default.contentsOfDirectory(atPath: MediaFixtures.root + "/images/bridge-mods").sorted()
        #expect(edits.count >= 12)
        for edit in edits {
            let h = try #require(try hasher.hash(MediaFixtures.file("images/bridge-mods/\(edit)")).pdq).hash
            #expect(h.distance(to: original) <= 31, "\(edit): \(h.distance(to: original)) bits from aaa-orig.jpg")
        }
    }
}

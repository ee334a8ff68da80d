import CoalitionCore
import Foundation
import Testing

@testable import CoalitionMedia

@Suite("Hostile media: bombs, truncated and corrupt files, wrong formats get a clear error")
struct HostileMediaTests {
    func code(_ bytes: [UInt8], limits: MediaLimits = .default) -> (CoalitionErrorCode?, String) {
        do {
            _ = try MediaHasher(limits: limits).hash(bytes)
            return (nil, "")
        } catch {
            return (error.code, error.message)
        }
    }

    /// A PNG chunk with its CRC.
    static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in typed {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        crc ^= 0xFFFF_FFFF
        let n = UInt32(body.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + typed
            + [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
    }

    /// A PNG that declares `width`×`height` pixels, with a few bytes of image data.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        var ihdr: [UInt8] = []
        for v in [width, height] { ihdr += [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        ihdr += [8, 2, 0, 0, 0]
        return [0x89] + Array("PNG\r\n\u{1A}\n".utf8) + chunk("IHDR", ihdr) + chunk("IDAT", [0x78, 0x9C, 0x03, 0, 0, 0, 0, 1]) + chunk("IEND", [])
    }

    @Test("a decompression bomb is refused from its header, before any pixel is decoded")
    func bombs() throws {
        let (c, m) = code(Self.pngHeader(width: 100_000, height: 100_000))
        #expect(c == .tooLarge, "\(m)")
        let (c2, m2) = code(Self.pngHeader(width: 19_000, height: 19_000))
        #expect(c2 == .tooLarge && m2.contains("pixels"), "\(m2)")
        // A missing fixture is the fixture error, not an empty file (whose range below would trap).
        var jpeg = try MediaFixtures.file("images/bridge-mods/aaa-orig.jpg")
        // Rewrite the frame header (SOF0) to claim 60000×60000.
        if let sof = (0..<(jpeg.count - 9)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) {
            jpeg[sof + 5] = 0xEA; jpeg[sof + 6] = 0x60; jpeg[sof + 7] = 0xEA; jpeg[sof + 8] = 0x60
        }
        #expect(code(jpeg).0 == .tooLarge)
    }

    @Test("a video that takes longer than the time limit is abandoned with a timeout error")
    func timeLimit() throws {
        var limits = MediaLimits.default
        limits.timeout = .milliseconds(50)
        let (c, m) = code(try MediaFixtures.file("videos/chair-22-sd-grey-bar.mp4"), limits: limits)
        #expect(c == .timeout && m.contains("time limit"), "\(String(describing: c)) \(m)")
    }

    @Test("truncated files of every format get corrupt-media, and the file size limit is checked first")
    func truncated() throws {
        for file in ["images/bridge-mods/aaa-orig.jpg", "images/modes/P.png", "images/modes/F.webp", "videos/chair-19-sd-bar.mp4"] {
            let bytes = try MediaFixtures.file(file)
            let (c, m) = code(Array(bytes.prefix(bytes.count / 2)))
            #expect(c == .corruptMedia, "\(file) cut in half: \(String(describing: c)) \(m)")
            #expect(!m.isEmpty)
        }
        var limits = MediaLimits()
        limits.maxImageBytes = 1000
        #expect(code(try MediaFixtures.file("images/bridge-mods/aaa-orig.jpg"), limits: limits).0 == .tooLarge)
    }

    @Test("a GIF is decoded from its first frame, and a truncated one is refused")
    func gif() throws {
        // 2×2 GIF87a, global table of 2 colours, one frame (LZW min code size 2).
        let gif: [UInt8] = Array("GIF87a".utf8) + [2, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
            0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 3, 0x44, 0x34, 0x05, 0, 0x3B]
        let image = try gif.withUnsafeBytes { try ImageDecoder().decode($0) }
        #expect(image.width == 2 && image.height == 2)
        #expect(code(Array(gif.prefix(20))).0 == .corruptMedia)
    }

    @Test("wrong formats, empty files and HEIC are named in the error")
    func wrongFormats() {
        #expect(code([]).0 == .corruptMedia)
        #expect(code(Array("%PDF-1.7 hello".utf8)).0 == .unsupportedMedia)
        #expect(code(Array("BM1234567890".utf8)).1.contains("BMP"))
        let heic: [UInt8] = [0, 0, 0, 24] + Array("ftypheic".utf8) + [0, 0, 0, 0]
        #expect(code(heic).1.contains("HEIC"))
        #expect(code([0xFF, 0xD8, 0xFF, 0xE0, 0, 0]).0 == .corruptMedia)
        #expect(code(Array("RIFF\u{10}\0\0\0WEBPVP8 ".utf8)).0 == .corruptMedia)
    }

    @Test("a seeded mutation loop over every decoder: no crash, every input hashed or refused with a message")
    func mutations() throws {
        let seeds = try ["images/misc-images/small.jpg", "images/bridge-mods/square-128x128.jpg", "images/modes/1.png",
                         "images/modes/PA.webp", "images/modes/LA.png"].map(MediaFixtures.file)
        let gif: [UInt8] = Array("GIF89a".utf8) + [2, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
            0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 3, 0x44, 0x34, 0x05, 0, 0x3B]
        let iterations = Int(ProcessInfo.processInfo.environment["COALITION_FUZZ_ITERATIONS"] ?? "") ?? 600
        let outcome = MediaFuzzer.run(seeds: seeds + [gif], iterations: iterations, seed: 20261202)
        #expect(outcome.inputs == iterations)
        #expect(outcome.hashed + outcome.refused == iterations)
        #expect(outcome.refused > 0 && outcome.hashed > 0, "\(outcome)")
        #expect(outcome.emptyMessages == 0)
    }
}

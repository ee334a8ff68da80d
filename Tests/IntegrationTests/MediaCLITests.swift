import CoalitionTestSupport
import Foundation
import Testing

/// `coalition publish --file` and `lookup --file` through the real binary and a real SQLite
/// file, on the shared media fixtures: the hash is published, never the media.
@Suite struct MediaCLITests {
    static var media: String {
        if let env = ProcessInfo.processInfo.environment["COALITION_MEDIA_FIXTURES"] { return env }
        return SourceRulesTests.root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/media").path
    }

    /// Whether `needle` occurs in `haystack`.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { i in haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle }
    }

    @Test("an edit of a published photo and another cut of a published clip are found; the media reach neither the data directory nor the output")
    func publishAndLookUpFiles() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "photo-app"])
            let photo = Self.media + "/images/bridge-mods/aaa-orig.jpg", clip = Self.media + "/videos/chair-20-sd-bar.mp4"
            let published = try cli.run(["publish", "--file", photo, "--category", "violence", "--json"])
            #expect(published.status == 0, "\(published.stderr)")
            #expect(published.stdout.contains("\"kind\" : \"pdq\""))
            let video = try cli.run(["publish", "--file", clip, "--category", "violence", "--json"])
            #expect(video.status == 0, "\(video.stderr)")
            #expect(video.stdout.contains("\"kind\" : \"vpdq\""))

            let edit = try cli.run(["lookup", "--file", Self.media + "/images/bridge-mods/blur-a-lot.jpg", "--json"])
            #expect(edit.status == 0, "\(edit.stderr)")
            #expect(edit.stdout.contains("\"distance\" : 4"), "\(edit.stdout)")
            // Every frame of the upload is hashed; a debug build on a loaded machine needs the time.
            let other = try cli.run(["lookup", "--file", Self.media + "/videos/chair-22-sd-grey-bar.mp4", "--timeout", "600"], timeout: 600)
            #expect(other.status == 0, "\(other.stderr)")
            #expect(other.stdout.contains(" vpdq "), "\(other.stdout)")
            let unrelated = try cli.run(["lookup", "--file", Self.media + "/videos/doorknob-hd-no-bar.mp4", "--timeout", "600"], timeout: 600)
            #expect(unrelated.status == 1 && unrelated.stderr.isEmpty && unrelated.stdout.contains("no match for vpdq"), "\(unrelated.stdout) \(unrelated.stderr)")

            let lowQuality = try cli.run(["publish", "--file", Self.media + "/images/misc-images/small.jpg", "--category", "violence"])
            #expect(lowQuality.status == 1 && lowQuality.stderr.contains("quality"), "\(lowQuality.stderr)")
            let notMedia = try cli.run(["lookup", "--file", SourceRulesTests.root.appendingPathComponent("Package.swift").path])
            #expect(notMedia.status == 1 && notMedia.stderr.contains("not a supported image or video"), "\(notMedia.stderr)")

            // 64-byte runs from the middle of each upload appear in no file of the data directory
            // and in no output.
            let outputs = [published, video, edit, other, unrelated, lowQuality].map { Array(($0.stdout + $0.stderr).utf8) }
            for path in [photo, clip] {
                let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
                let run = Array(bytes[(bytes.count / 2)..<(bytes.count / 2 + 64)])
                for file in FileManager.default.enumerator(atPath: cli.dataDir)?.compactMap({ $0 as? String }) ?? [] {
                    guard let data = FileManager.default.contents(atPath: cli.dataDir + "/" + file) else { continue }
                    #expect(!Self.contains([UInt8](data), run), "\(file) holds bytes of \(path)")
                }
                for out in outputs { #expect(!Self.contains(out, run)) }
            }
        }
    }
}

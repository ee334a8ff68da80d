import ArgumentParser
import CoalitionCore
import CoalitionMedia
import CoalitionNode
import Foundation

struct Hash: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hash images and videos: PDQ or vPDQ, MD5 and SHA-256.",
        discussion: """
            Each file is read into memory, decoded and hashed, then freed: nothing is written, and the media \
            never reaches a log. Images: JPEG, PNG, WebP, and the first frame of an animated WebP or GIF, hashed with PDQ (the \
            stored pixels; EXIF orientation is not applied, as in the reference hashers). Videos (MP4/MOV, \
            WebM/Matroska, AVI) are hashed with vPDQ: one frame every --seconds-per-frame seconds. Prints one \
            line per file (kind, value, quality), or with --json one JSON object per line. A file that cannot \
            be hashed is reported on standard error and the others are still hashed; the exit status is then 1.
            """
    )

    @Argument(help: "The image or video files.") var files: [String]
    @Flag(help: "Print one JSON object per file.") var json = false
    @OptionGroup var media: MediaOptions

    func run() throws {
        let hasher = media.hasher()
        var failed = false
        for path in files {
            do {
                let result = try media.hash(path, with: hasher)
                if json {
                    var object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result.summary)) as? [String: Any] ?? [:]
                    object["file"] = path
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    let size = result.format.isVideo
                        ? "\(result.width)×\(result.height), \(String(format: "%.1f", result.durationSeconds ?? 0)) s, \(result.vpdq?.frames.count ?? 0) frames"
                        : "\(result.width)×\(result.height)"
                    print("\(path): \(result.format.rawValue) \(size)")
                    for h in result.hashes {
                        print("  \(h.kind) \(h.value)\(h.quality.map { "  quality \($0)" } ?? "")")
                    }
                }
            } catch let error as CoalitionError {
                FileHandle.standardError.write(Data("error: \(path): \(error.message)\n".utf8))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// The media options shared by `hash`, `lookup --file` and `publish --file`.
struct MediaOptions: ParsableArguments {
    @Option(help: "Video: seconds between two hashed frames (default 1, as vPDQ; 0 hashes every frame).") var secondsPerFrame: Double = 1
    @Option(help: "The largest image file accepted, in MiB (default 32).") var maxImageMib: Int = 32
    @Option(help: "The largest video file accepted, in MiB (default 256).") var maxVideoMib: Int = 256
    @Option(help: "The most pixels an image or frame may have, in millions (default 50).") var maxMegapixels: Int = 50
    @Option(help: "The longest decoding and hashing of one file, in seconds (default 30).") var timeout: Int = 30

    func validate() throws {
        guard secondsPerFrame >= 0, secondsPerFrame <= 3600 else { throw ValidationError("--seconds-per-frame must be 0 (every frame) to 3600") }
        guard maxImageMib > 0, maxVideoMib > 0, maxMegapixels > 0, timeout > 0 else { throw ValidationError("the media limits must be positive") }
    }

    func hasher() -> MediaHasher {
        var limits = MediaLimits()
        limits.maxImageBytes = maxImageMib << 20
        limits.maxVideoBytes = maxVideoMib << 20
        limits.maxPixels = maxMegapixels * 1_000_000
        limits.timeout = .seconds(timeout)
        return MediaHasher(limits: limits, secondsPerFrame: secondsPerFrame)
    }

    /// Reads `path` into memory (refusing a file over the larger limit before reading it) and hashes it.
    func hash(_ path: String, with hasher: MediaHasher) throws(CoalitionError) -> MediaHashes {
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard attributes[.type] as? FileAttributeType != .typeDirectory else {
                throw CoalitionError(.invalidField, "\(path) is a directory", field: "file")
            }
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let error as CoalitionError {
            throw error
        } catch {
            throw CoalitionError(.notFound, "cannot read \(path): no such file, or no permission", field: "file")
        }
        guard size <= hasher.limits.maxBytes else {
            throw CoalitionError(.tooLarge, "the file is \(size) bytes; the limit is \(hasher.limits.maxBytes)", field: "file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoalitionError(.notFound, "cannot read \(path)", field: "file")
        }
        return try hasher.hash([UInt8](data))
    }
}

import CoalitionCore
import CoalitionMatch
import CoalitionMedia
import Dispatch
import Foundation

// `hash`: media hashing against the references, in the same run.
// - Images: every fixture image under images/, hashed (read from its file, decoded, PDQ) for at
//   least --seconds on one core, then on every core at once; python-threatexchange's
//   `pdq_from_file` (Pillow + pdqhash) on the same files, one process per core. Also the
//   agreement of the hashes with pdqhash on Pillow's RGB pixels.
// - Videos: every fixture clip hashed at 1 frame per second, one after another; seconds of video
//   hashed per second, against PyPI `vpdq` (its default threads, and one thread).
//
//   coalition-bench hash [--seconds 10] [--fixtures DIR] [--no-video]
//
// `fuzz-media`: the seeded mutation loop of the test suite at scale, on every core: bit flips,
// overwrites, truncations, insertions and header damage of small seeds of every decoder path
// (JPEG, PNG, WebP, GIF in several pixel formats, made in memory by Pillow; clips of 12 frames in
// four codecs and containers, made in memory by PyAV). Per path: inputs, hashed, refused,
// refusals without a message (must be 0), the slowest input, and the peak RSS.
//
//   coalition-bench fuzz-media [--inputs 1000000] [--video-inputs N (default: --inputs)] [--only jpeg,png,webp,gif,video]

/// The shared media fixtures: --fixtures, $COALITION_MEDIA_FIXTURES, or ../shared/fixtures/media
/// beside the checkout.
func mediaFixtures() -> String {
    if let dir = stringArgument("--fixtures") ?? ProcessInfo.processInfo.environment["COALITION_MEDIA_FIXTURES"] { return dir }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/media").path
}

/// The files under `dir/sub/*/*` (images) or `dir/sub/*` (videos), sorted.
func fixtureFiles(_ sub: String, depth: Int) throws -> [String] {
    let root = mediaFixtures() + "/" + sub
    var out: [String] = []
    for entry in try FileManager.default.contentsOfDirectory(atPath: root).sorted() {
        let path = root + "/" + entry
        var isDir: ObjCBool = false
        FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        if isDir.boolValue, depth > 1 {
            out += try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
        } else if !isDir.boolValue, depth == 1 {
            out.append(path)
        }
    }
    return out
}

struct HashReference: Decodable {
    var version: String
    var oneCore: Double
    var allCores: Double
    var cores: Int
    /// path → [pdq_from_file hex, quality, RGB hex, RGB quality]
    var hashes: [String: [Either]]

    enum CodingKeys: String, CodingKey { case version, oneCore = "one_core", allCores = "all_cores", cores, hashes }

    enum Either: Decodable {
        case text(String), number(Int)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
        }
        var text: String { if case .text(let s) = self { s } else { "" } }
        var number: Int { if case .number(let n) = self { n } else { -1 } }
    }
}

struct VideoReference: Decodable {
    var version: String
    /// path → [seconds with vpdq's default threads, seconds with one thread, frames]
    var files: [String: [Double]]
}

/// Reads, decodes and hashes `path`.
func hashFile(_ path: String, _ hasher: MediaHasher) throws -> MediaHashes {
    guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
    return try [UInt8](data).withUnsafeBytes { raw in try hasher.hash(raw) }
}

func benchHash() throws {
    let seconds = Double(argument("--seconds", default: 10))
    let images = try fixtureFiles("images", depth: 2)
    guard !images.isEmpty else { throw BenchError("no fixture images under \(mediaFixtures())/images (see --fixtures)") }
    print("== hash: \(images.count) fixture images, at least \(Int(seconds)) s per measurement, \(cores) cores")

    // The reference first, in its own processes.
    let venvPython = try runChild([ThreatExchangeReference.directory.appendingPathComponent("setup.sh").path], executable: "/bin/bash", capture: true)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    let script = ThreatExchangeReference.directory.appendingPathComponent("hash_reference.py").path
    let refOut = try runChild([script, "images", String(seconds)] + images, executable: venvPython, capture: true)
    let ref = try JSONDecoder().decode(HashReference.self, from: Data((refOut.split(separator: "\n").last ?? "").utf8))

    let hasher = MediaHasher()
    // Agreement, and a warm-up.
    var equalRGB = 0, equalFromFile = 0, maxRGB = 0, maxFromFile = 0, qualityEqual = 0
    for path in images {
        let ours = try hashFile(path, hasher)
        guard let pdq = ours.pdq, let r = ref.hashes[path], let rgb = PDQHash(hex: r[2].text), let fromFile = PDQHash(hex: r[0].text) else {
            throw BenchError("no PDQ hash for \(path)")
        }
        let d = pdq.hash.distance(to: rgb), e = pdq.hash.distance(to: fromFile)
        if d == 0 { equalRGB += 1 }
        if e == 0 { equalFromFile += 1 }
        if pdq.quality == r[3].number { qualityEqual += 1 }
        maxRGB = max(maxRGB, d)
        maxFromFile = max(maxFromFile, e)
    }

    func rate(threads: Int) -> Double {
        let start = now()
        let counts = onThreads(threads) { t -> Int in
            var n = 0
            while now() - start < seconds {
                _ = try! hashFile(images[(t + n) % images.count], hasher)
                n += 1
            }
            return n
        }
        return Double(counts.reduce(0, +)) / (now() - start)
    }
    let one = rate(threads: 1)
    let all = rate(threads: cores)
    print(String(format: "agreement: %d of %d equal to pdqhash on Pillow RGB pixels (max %d bits), quality equal on %d; %d equal to pdq_from_file (max %d bits: it hashes palette and CMYK pixels as they are)",
                 equalRGB, images.count, maxRGB, qualityEqual, equalFromFile, maxFromFile))
    print(String(format: "images/s, one core:   Coalition %7.1f   python-threatexchange %@ pdq_from_file %7.1f   ratio %.2f×", one, ref.version, ref.oneCore, one / ref.oneCore))
    print(String(format: "images/s, %d cores:    Coalition %7.1f   python-threatexchange %@ pdq_from_file %7.1f   ratio %.2f× (%d processes)",
                 cores, all, ref.version, ref.allCores, all / ref.allCores, ref.cores))

    guard !CommandLine.arguments.contains("--no-video") else { return }
    let videos = try fixtureFiles("videos", depth: 1).filter { $0.hasSuffix(".mp4") }
    let vOut = try runChild(["python3", script, "videos"] + videos, executable: "/usr/bin/env", capture: true)
    let vref = try JSONDecoder().decode(VideoReference.self, from: Data((vOut.split(separator: "\n").last ?? "").utf8))
    var videoSeconds = 0.0, ours = 0.0, theirs = 0.0, theirsOne = 0.0
    for path in videos {
        _ = try hashFile(path, hasher)  // warm-up: page cache
        let t0 = now()
        let h = try hashFile(path, hasher)
        let t = now() - t0
        guard let r = vref.files[path] else { throw BenchError("vpdq did not hash \(path)") }
        let duration = h.durationSeconds ?? 0
        videoSeconds += duration
        ours += t
        theirs += r[0]
        theirsOne += r[1]
        print(String(format: "  %@: %.1f s of video, %d frames (vpdq %d): Coalition %.2f s, vpdq %.2f s (one thread %.2f s)",
                     (path as NSString).lastPathComponent, duration, h.vpdq?.frames.count ?? 0, Int(r[2]), t, r[0], r[1]))
    }
    print(String(format: "video s/s, one clip at a time: Coalition %.1f   vpdq %@ %.1f (default threads) %.1f (one thread)   ratio %.2f× and %.2f×",
                 videoSeconds / ours, vref.version, videoSeconds / theirs, videoSeconds / theirsOne, theirs / ours, theirsOne / ours))
}

func benchFuzzMedia() throws {
    let inputs = argument("--inputs", default: 1_000_000)
    let videoInputs = argument("--video-inputs", default: inputs)
    let only = Set((stringArgument("--only") ?? "jpeg,png,webp,gif,video").split(separator: ",").map(String.init))
    // Small seeds of every decoder path, made by Pillow and PyAV in memory (one base64 line each).
    let venvPython = try runChild([ThreatExchangeReference.directory.appendingPathComponent("setup.sh").path], executable: "/bin/bash", capture: true)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    let seedScript = ThreatExchangeReference.directory.appendingPathComponent("fuzz_seeds.py").path
    let lines = try runChild([seedScript], executable: venvPython, capture: true).split(separator: "\n")
    var seeds: [String: [[UInt8]]] = [:]
    for line in lines {
        let parts = line.split(separator: " ")
        guard parts.count == 2, let data = Data(base64Encoded: String(parts[1])) else { continue }
        seeds[String(parts[0]), default: []].append([UInt8](data))
    }
    print("== fuzz-media: \(inputs) mutated inputs per image decoder, \(videoInputs) for video, on \(cores) cores")
    for path in ["jpeg", "png", "webp", "gif", "video"] where only.contains(path) {
        guard let pathSeeds = seeds[path], !pathSeeds.isEmpty else { throw BenchError("no seeds for \(path)") }
        let n = path == "video" ? videoInputs : inputs
        let t0 = now()
        let outcomes = onThreads(cores) { c in
            MediaFuzzer.run(seeds: pathSeeds, iterations: n / cores + (c < n % cores ? 1 : 0), seed: 0xF022 &+ UInt64(c) &* 7919)
        }
        let elapsed = now() - t0
        let total = outcomes.reduce(into: MediaFuzzer.Outcome()) { t, o in
            t.inputs += o.inputs
            t.hashed += o.hashed
            t.refused += o.refused
            t.emptyMessages += o.emptyMessages
            t.slowestSeconds = max(t.slowestSeconds, o.slowestSeconds)
        }
        print(String(format: "%@: %d inputs from %d seeds in %.0f s: %d hashed, %d refused, %d refusals without a message; slowest input %.3f s; peak RSS %.0f MiB",
                     path, total.inputs, pathSeeds.count, elapsed, total.hashed, total.refused, total.emptyMessages, total.slowestSeconds, peakRSSMiB()))
        guard total.emptyMessages == 0, total.inputs == n else { throw BenchError("\(path): a refusal without a message, or inputs lost") }
    }
}

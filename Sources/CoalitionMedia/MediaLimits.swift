import CoalitionCore
/// What an upload may cost before it is refused. Every check runs before the expensive part:
/// the byte count before anything is parsed, the dimensions from the header before pixels are
/// decoded (a decompression bomb is refused with a few hundred bytes read), and the deadline
/// between rows, frames and stages of the work.
public struct MediaLimits: Sendable, Equatable {
    /// The largest image file accepted (bytes).
    public var maxImageBytes: Int
    /// The largest video file accepted (bytes).
    public var maxVideoBytes: Int
    /// The most pixels an image (or a video frame) may have.
    public var maxPixels: Int
    /// The longest side an image (or a video frame) may have, in pixels.
    public var maxDimension: Int
    /// The longest video accepted, in seconds of its own timeline.
    public var maxVideoSeconds: Double
    /// How long decoding and hashing one file may take.
    public var timeout: Duration

    public init(
        maxImageBytes: Int = 32 << 20, maxVideoBytes: Int = 256 << 20, maxPixels: Int = 50_000_000,
        maxDimension: Int = 20_000, maxVideoSeconds: Double = 3 * 3600, timeout: Duration = .seconds(30)
    ) {
        self.maxImageBytes = maxImageBytes
        self.maxVideoBytes = maxVideoBytes
        self.maxPixels = maxPixels
        self.maxDimension = maxDimension
        self.maxVideoSeconds = maxVideoSeconds
        self.timeout = timeout
    }

    /// The defaults: 32 MiB images, 256 MiB videos, 50 megapixels, 20,000 px a side, three hours
    /// of video, 30 s of work per file.
    public static let `default` = MediaLimits()

    /// The largest file of any kind.
    public var maxBytes: Int { max(maxImageBytes, maxVideoBytes) }

    /// Refuses dimensions over the limits (or empty ones), before any pixel is decoded.
    func check(width: Int, height: Int, what: String) throws(CoalitionError) {
        guard width > 0, height > 0 else {
            throw CoalitionError(.corruptMedia, "the \(what) declares a size of \(width)×\(height) pixels")
        }
        guard width <= maxDimension, height <= maxDimension else {
            throw CoalitionError(.tooLarge, "the \(what) is \(width)×\(height) pixels; the limit is \(maxDimension) pixels a side", field: "file")
        }
        guard width * height <= maxPixels else {
            throw CoalitionError(.tooLarge, "the \(what) has \(width * height) pixels (\(width)×\(height)); the limit is \(maxPixels)", field: "file")
        }
    }
}

/// The instant after which the work on one file is abandoned.
struct Deadline: Sendable {
    let end: ContinuousClock.Instant
    init(_ timeout: Duration) { end = .now + timeout }

    /// Throws once the deadline has passed.
    func check(_ what: @autoclosure () -> String) throws(CoalitionError) {
        if ContinuousClock.now > end {
            throw CoalitionError(.timeout, "\(what()) took longer than the time limit for one file", field: "file")
        }
    }
}

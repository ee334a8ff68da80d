import CoalitionCore
import CoalitionMatch

/// What hashing one file produced: its format and size, the file hashes, and the perceptual hash
/// (PDQ for an image, vPDQ for a video). Nothing of the media itself.
public struct MediaHashes: Sendable {
    /// One hash, as a signal kind and canonical value (ready to publish or look up).
    public struct Hash: Sendable, Equatable {
        public var kind: String
        public var value: String
        /// The PDQ quality (0–100), for `pdq` only.
        public var quality: Int?
        public init(kind: String, value: String, quality: Int? = nil) {
            self.kind = kind
            self.value = value
            self.quality = quality
        }
    }

    public var format: MediaFormat
    public var bytes: Int
    public var width: Int
    public var height: Int
    /// For a video: the seconds of its timeline that were decoded.
    public var durationSeconds: Double?
    /// The perceptual hash first (`pdq` or `vpdq`), then `md5` and `sha256`.
    public var hashes: [Hash]
    /// For an image: its PDQ hash and quality.
    public var pdq: PDQResult?
    /// For a video: its vPDQ frames.
    public var vpdq: VPDQHash?

    /// The hash of `kind`, if one was computed.
    public func value(of kind: String) -> Hash? { hashes.first { $0.kind == kind } }
}

extension MediaHashes.Hash: Codable {}

extension MediaHashes {
    /// The JSON form of the result, for the CLI's `--json` and the API.
    public struct Summary: Codable, Sendable, Equatable {
        /// `image` or `video`.
        public var media: String
        public var format: String
        public var bytes: Int
        public var width: Int
        public var height: Int
        public var durationSeconds: Double?
        /// Video: the frames hashed (before duplicates are removed).
        public var frames: Int?
        public var hashes: [Hash]
    }

    public var summary: Summary {
        Summary(
            media: format.isVideo ? "video" : "image", format: format.rawValue, bytes: bytes, width: width, height: height,
            durationSeconds: durationSeconds, frames: vpdq?.frames.count, hashes: hashes)
    }
}

import CoalitionCore
import CoalitionCrypto

/// Hashes one uploaded file in memory: sniffs its format, decodes it within ``MediaLimits``, and
/// computes PDQ (image) or vPDQ (video), MD5 and SHA-256. The bytes are never written anywhere
/// and never logged; the caller frees them when it returns.
public struct MediaHasher: Sendable {
    public var limits: MediaLimits
    /// Seconds of video between two hashed frames.
    public var secondsPerFrame: Double

    public init(limits: MediaLimits = .default, secondsPerFrame: Double = 1) {
        self.limits = limits
        self.secondsPerFrame = secondsPerFrame
    }

    /// The hashes of `data`.
    public func hash(_ data: UnsafeRawBufferPointer) throws(CoalitionError) -> MediaHashes {
        let format = try MediaFormat.sniff(data)
        let deadline = Deadline(limits.timeout)
        let limit = format.isVideo ? limits.maxVideoBytes : limits.maxImageBytes
        guard data.count <= limit else {
            throw CoalitionError(.tooLarge, "the \(format.isVideo ? "video" : "image") is \(data.count) bytes; the limit is \(limit)", field: "file")
        }
        let md5 = MediaHashes.Hash(kind: "md5", value: Hex.encode(MD5.hash(data)))
        let sha256 = MediaHashes.Hash(kind: "sha256", value: Hex.encode(SHA256.hash(data)))
        if format.isVideo {
            let video = try VideoBackend.hash(data, limits: limits, secondsPerFrame: secondsPerFrame, deadline: deadline)
            let vpdq = MediaHashes.Hash(kind: "vpdq", value: video.hash.value)
            return MediaHashes(
                format: format, bytes: data.count, width: video.width, height: video.height, durationSeconds: video.seconds,
                hashes: [vpdq, md5, sha256], pdq: nil, vpdq: video.hash)
        }
        let image = try ImageDecoder(limits: limits).decode(data, format: format, deadline: deadline)
        let pdq = PDQ.hash(image)
        try deadline.check("hashing the image")
        return MediaHashes(
            format: format, bytes: data.count, width: image.width, height: image.height, durationSeconds: nil,
            hashes: [MediaHashes.Hash(kind: "pdq", value: pdq.hash.hex, quality: pdq.quality), md5, sha256], pdq: pdq, vpdq: nil)
    }

    /// The hashes of `bytes`.
    public func hash(_ bytes: [UInt8]) throws(CoalitionError) -> MediaHashes {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(CoalitionError) in try hash(raw) } }
        return try result.get()
    }
}

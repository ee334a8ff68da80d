import CoalitionCore
/// Decodes an untrusted still image (JPEG, PNG, WebP, or a GIF's first frame) to ``RGBImage``,
/// within ``MediaLimits``.
///
/// EXIF orientation is not applied: the stored pixels are hashed. The reference hashers
/// (`pdqhash` on Pillow pixels, the HMA, python-threatexchange) do the same, so a hash computed
/// here equals the one another platform computed for the same file, and a rotated copy is found
/// by a lookup with `dihedral=true` whichever way it is stored.
public struct ImageDecoder: Sendable {
    public var limits: MediaLimits

    public init(limits: MediaLimits = .default) { self.limits = limits }

    /// The pixels of `data`, whose format is sniffed from its first bytes.
    public func decode(_ data: UnsafeRawBufferPointer) throws(CoalitionError) -> RGBImage {
        try decode(data, format: MediaFormat.sniff(data), deadline: Deadline(limits.timeout))
    }

    func decode(_ data: UnsafeRawBufferPointer, format: MediaFormat, deadline: Deadline) throws(CoalitionError) -> RGBImage {
        guard data.count <= limits.maxImageBytes else {
            throw CoalitionError(.tooLarge, "the image is \(data.count) bytes; the limit is \(limits.maxImageBytes)", field: "file")
        }
        switch format {
        case .jpeg: return try JPEGBackend.decode(data, limits: limits, deadline: deadline)
        case .png: return try PNGBackend.decode(data, limits: limits, deadline: deadline)
        case .webp: return try WebPBackend.decode(data, limits: limits, deadline: deadline)
        case .gif: return try GIFBackend.decode(data, limits: limits, deadline: deadline)
        case .mp4, .matroska, .avi:
            throw CoalitionError(.unsupportedMedia, "the file is a video (\(format.rawValue)), not an image", field: "file")
        }
    }
}

import CoalitionCore
/// A media container, recognised from the file's first bytes (never from a name or a declared
/// content type, which an uploader controls).
public enum MediaFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, gif
    /// ISO base media (MP4, MOV, 3GP, M4V).
    case mp4
    /// Matroska and WebM.
    case matroska
    case avi

    /// Whether the format holds a video (hashed with vPDQ) rather than a still image (PDQ).
    public var isVideo: Bool {
        switch self {
        case .mp4, .matroska, .avi: true
        case .jpeg, .png, .webp, .gif: false
        }
    }

    /// The format of `bytes`, or a clear error: an unsupported image format is named, anything
    /// else is "not an image or video".
    public static func sniff(_ bytes: UnsafeRawBufferPointer) throws(CoalitionError) -> MediaFormat {
        func at(_ offset: Int, _ ascii: String) -> Bool {
            let expected = Array(ascii.utf8)
            guard bytes.count >= offset + expected.count else { return false }
            return expected.indices.allSatisfy { bytes[offset + $0] == expected[$0] }
        }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 8, bytes[0] == 0x89, at(1, "PNG\r\n\u{1A}\n") { return .png }
        if at(0, "GIF87a") || at(0, "GIF89a") { return .gif }
        if at(0, "RIFF"), at(8, "WEBP") { return .webp }
        if at(0, "RIFF"), at(8, "AVI ") { return .avi }
        if bytes.count >= 4, bytes[0] == 0x1A, bytes[1] == 0x45, bytes[2] == 0xDF, bytes[3] == 0xA3 { return .matroska }
        if at(4, "ftyp") {
            let still = ["heic", "heix", "hevc", "heim", "heis", "mif1", "msf1", "avif", "avis"]
            if still.contains(where: { at(8, $0) }) {
                throw CoalitionError(.unsupportedMedia, "HEIF/HEIC and AVIF images are not supported; convert the image to JPEG, PNG or WebP", field: "file")
            }
            return .mp4
        }
        if at(0, "BM") || at(0, "II*\0") || at(0, "MM\0*") {
            throw CoalitionError(.unsupportedMedia, "BMP and TIFF images are not supported; convert the image to JPEG, PNG or WebP", field: "file")
        }
        if bytes.isEmpty { throw CoalitionError(.corruptMedia, "the file is empty", field: "file") }
        throw CoalitionError(
            .unsupportedMedia,
            "the file is not a supported image or video (JPEG, PNG, WebP, GIF; MP4/MOV, WebM/Matroska, AVI), judging by its first bytes",
            field: "file")
    }
}

import CoalitionCore
/// Decoded pixels as shown: 8-bit sRGB, three bytes (red, green, blue) per pixel, row-major,
/// with no padding between rows. Every decoder converts its pixel format to this, so that the
/// same picture gives the same pixels whatever the file stored (palette, grey, CMYK, 16-bit).
public struct RGBImage: Sendable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBImage: \(pixels.count) bytes for \(width)×\(height)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

import CoalitionCore
import CPNG

/// PNG through libpng's simplified API, which turns every colour type and bit depth (palette,
/// grey, grey with alpha, 1–16 bits) into 8-bit RGB(A), and catches libpng's `longjmp` errors
/// itself. Alpha is dropped rather than composited, as Pillow's `convert("RGB")` does, so a
/// transparent image hashes as its colour channels.
enum PNGBackend {
    private static let formatRGB: UInt32 = 0x02  // PNG_FORMAT_FLAG_COLOR
    private static let formatRGBA: UInt32 = 0x03  // … | PNG_FORMAT_FLAG_ALPHA
    private static let flagAlpha: UInt32 = 0x01

    static func decode(_ data: UnsafeRawBufferPointer, limits: MediaLimits, deadline: Deadline) throws(CoalitionError) -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        // 16-bit files without a gAMA chunk are sRGB-encoded like 8-bit ones, not linear.
        image.flags = UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        defer { png_image_free(&image) }
        guard png_image_begin_read_from_memory(&image, data.baseAddress, data.count) != 0 else {
            throw CoalitionError(.corruptMedia, "not a readable PNG: \(message(&image))", field: "file")
        }
        let width = Int(image.width), height = Int(image.height)
        try limits.check(width: width, height: height, what: "PNG image")
        let alpha = image.format & flagAlpha != 0
        let channels = alpha ? 4 : 3
        image.format = alpha ? formatRGBA : formatRGB
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        guard ok != 0 else {
            throw CoalitionError(.corruptMedia, "the PNG is truncated or corrupt: \(message(&image))", field: "file")
        }
        try deadline.check("decoding the PNG")
        guard alpha else { return RGBImage(width: width, height: height, pixels: pixels) }
        return RGBImage(width: width, height: height, pixels: dropAlpha(pixels, count: width * height))
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }
}

/// RGBA to RGB, keeping the colour channels.
func dropAlpha(_ rgba: [UInt8], count: Int) -> [UInt8] {
    var rgb = [UInt8](repeating: 0, count: count * 3)
    rgba.withUnsafeBufferPointer { s in
        rgb.withUnsafeMutableBufferPointer { d in
            for p in 0..<count {
                d[3 * p] = s[4 * p]
                d[3 * p + 1] = s[4 * p + 1]
                d[3 * p + 2] = s[4 * p + 2]
            }
        }
    }
    return rgb
}

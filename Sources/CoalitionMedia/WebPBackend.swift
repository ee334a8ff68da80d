import CoalitionCore
import CWebP

/// WebP (lossy and lossless, still or animated) through libwebp. Alpha is dropped, as for PNG.
/// An animated WebP is hashed from its first frame as displayed: composited onto the canvas by
/// libwebp's animation decoder (a first frame may cover only part of the canvas), as a GIF is
/// hashed from its first frame.
enum WebPBackend {
    static func decode(_ data: UnsafeRawBufferPointer, limits: MediaLimits, deadline: Deadline) throws(CoalitionError) -> RGBImage {
        let source = data.bindMemory(to: UInt8.self).baseAddress
        var features = WebPBitstreamFeatures()
        let status = WebPGetFeatures(source, data.count, &features)
        guard status == VP8_STATUS_OK else {
            throw CoalitionError(.corruptMedia, "not a readable WebP: \(describe(status))", field: "file")
        }
        let width = Int(features.width), height = Int(features.height)
        try limits.check(width: width, height: height, what: "WebP image")
        if features.has_animation != 0 { return try firstFrame(data, width: width, height: height, deadline: deadline) }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let decoded = pixels.withUnsafeMutableBufferPointer {
            WebPDecodeRGBInto(source, data.count, $0.baseAddress, $0.count, Int32(width * 3))
        }
        guard decoded != nil else {
            throw CoalitionError(.corruptMedia, "the WebP is truncated or corrupt: its image data does not decode", field: "file")
        }
        try deadline.check("decoding the WebP")
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The first frame of an animated WebP, composited onto its canvas.
    private static func firstFrame(_ data: UnsafeRawBufferPointer, width: Int, height: Int, deadline: Deadline) throws(CoalitionError) -> RGBImage {
        var options = WebPAnimDecoderOptions()
        guard WebPAnimDecoderOptionsInit(&options) != 0 else {
            throw CoalitionError(.unsupportedMedia, "this libwebp cannot decode animated WebP", field: "file")
        }
        options.color_mode = MODE_RGBA
        options.use_threads = 0
        var webp = WebPData(bytes: data.bindMemory(to: UInt8.self).baseAddress, size: data.count)
        guard let decoder = WebPAnimDecoderNew(&webp, &options) else {
            throw CoalitionError(.corruptMedia, "the animated WebP is truncated or corrupt: its frames cannot be read", field: "file")
        }
        defer { WebPAnimDecoderDelete(decoder) }
        var info = WebPAnimInfo()
        guard WebPAnimDecoderGetInfo(decoder, &info) != 0, Int(info.canvas_width) == width, Int(info.canvas_height) == height else {
            throw CoalitionError(.corruptMedia, "the animated WebP's canvas does not match its header", field: "file")
        }
        var canvas: UnsafeMutablePointer<UInt8>?
        var timestamp: Int32 = 0
        guard WebPAnimDecoderHasMoreFrames(decoder) != 0, WebPAnimDecoderGetNext(decoder, &canvas, &timestamp) != 0, let canvas else {
            throw CoalitionError(.corruptMedia, "the animated WebP is truncated or corrupt: its first frame does not decode", field: "file")
        }
        try deadline.check("decoding the WebP")
        // RGBA (the canvas, width × height, owned by the decoder) → RGB.
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            for i in 0..<(width * height) {
                out[i * 3] = canvas[i * 4]
                out[i * 3 + 1] = canvas[i * 4 + 1]
                out[i * 3 + 2] = canvas[i * 4 + 2]
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func describe(_ status: VP8StatusCode) -> String {
        switch status {
        case VP8_STATUS_NOT_ENOUGH_DATA: "the file is truncated"
        case VP8_STATUS_BITSTREAM_ERROR: "its bitstream is corrupt"
        case VP8_STATUS_UNSUPPORTED_FEATURE: "it uses a feature libwebp does not support"
        case VP8_STATUS_OUT_OF_MEMORY: "out of memory"
        default: "libwebp status \(status.rawValue)"
        }
    }
}

import CoalitionCore
import CWebP

/// WebP (lossy and lossless, still images) through libwebp. Alpha is dropped, as for PNG.
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
        if features.has_animation != 0 {
            throw CoalitionError(.unsupportedMedia, "animated WebP is not supported; send a still frame (or the video) instead", field: "file")
        }
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

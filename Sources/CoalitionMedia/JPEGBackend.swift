import CoalitionCore
import CJPEG

/// JPEG through libjpeg-turbo's TurboJPEG API: errors come back as return codes (the libjpeg API
/// reports them by `longjmp`, which Swift cannot catch). Decoded as Pillow decodes (accurate
/// integer IDCT, smooth upsampling), so hashes agree with the Pillow-based reference.
enum JPEGBackend {
    static func decode(_ data: UnsafeRawBufferPointer, limits: MediaLimits, deadline: Deadline) throws(CoalitionError) -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw CoalitionError(.unavailable, "the JPEG decoder could not start: \(String(cString: tjGetErrorStr2(nil)))")
        }
        defer { tjDestroy(handle) }
        let source = data.bindMemory(to: UInt8.self).baseAddress
        let size = UInt(data.count)
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        guard tjDecompressHeader3(handle, source, size, &width, &height, &subsampling, &colorspace) == 0 else {
            throw CoalitionError(.corruptMedia, "not a readable JPEG: \(message(handle))", field: "file")
        }
        try limits.check(width: Int(width), height: Int(height), what: "JPEG image")
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        let channels = cmyk ? 4 : 3
        let format = cmyk ? TJPF_CMYK : TJPF_RGB
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        // A progressive file of thousands of tiny scans costs minutes to decode; 500 is libjpeg-turbo's cap.
        let flags = TJFLAG_LIMITSCANS
        let rc = pixels.withUnsafeMutableBufferPointer {
            tjDecompress2(handle, source, size, $0.baseAddress, width, 0, height, Int32(format.rawValue), flags)
        }
        if rc != 0 {
            let text = message(handle)
            // Warnings (an extraneous byte before a marker, say) leave a complete image, as Pillow
            // accepts it; a file that ends early does not.
            let warning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
            if !warning || text.contains("Premature end") {
                throw CoalitionError(.corruptMedia, "the JPEG is truncated or corrupt: \(text)", field: "file")
            }
        }
        try deadline.check("decoding the JPEG")
        guard cmyk else { return RGBImage(width: Int(width), height: Int(height), pixels: pixels) }
        return cmykToRGB(pixels, width: Int(width), height: Int(height), inverted: hasAdobeMarker(data))
    }

    private static func message(_ handle: tjhandle) -> String {
        String(cString: tjGetErrorStr2(handle))
    }

    /// Photoshop writes CMYK JPEGs with inverted values and says so in an APP14 "Adobe" segment.
    private static func hasAdobeMarker(_ data: UnsafeRawBufferPointer) -> Bool {
        var i = 2
        while i + 4 <= data.count, data[i] == 0xFF {
            let marker = data[i + 1]
            if marker == 0xDA || marker == 0xD9 { return false }  // start of scan: no more headers
            let length = Int(data[i + 2]) << 8 | Int(data[i + 3])
            if marker == 0xEE, i + 9 <= data.count, Array(data[(i + 4)..<(i + 9)]) == Array("Adobe".utf8) { return true }
            i += 2 + length
        }
        return false
    }

    /// CMYK to RGB as a display without a colour profile shows it (and as Pillow converts it):
    /// each channel is (255 − C)·(255 − K)/255.
    private static func cmykToRGB(_ cmyk: [UInt8], width: Int, height: Int, inverted: Bool) -> RGBImage {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            var c = Int(cmyk[4 * p]), m = Int(cmyk[4 * p + 1]), y = Int(cmyk[4 * p + 2]), k = Int(cmyk[4 * p + 3])
            if inverted { (c, m, y, k) = (255 - c, 255 - m, 255 - y, 255 - k) }
            let nk = 255 - k
            rgb[3 * p] = UInt8(clamping: nk - mulDiv255(c, nk))
            rgb[3 * p + 1] = UInt8(clamping: nk - mulDiv255(m, nk))
            rgb[3 * p + 2] = UInt8(clamping: nk - mulDiv255(y, nk))
        }
        return RGBImage(width: width, height: height, pixels: rgb)
    }

    /// a·b/255 rounded, as Pillow's MULDIV255.
    @inline(__always) private static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        let t = a * b + 128
        return (t + (t >> 8)) >> 8
    }
}

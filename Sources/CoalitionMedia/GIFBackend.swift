import CoalitionCore
import CGIF

/// GIF through giflib (errors are return codes). Only the first frame is decoded, drawn on the
/// logical screen filled with the background colour, as a viewer shows the file before it
/// animates.
enum GIFBackend {
    /// The bytes giflib reads from, through its input callback.
    private final class Source {
        let data: UnsafeRawBufferPointer
        var offset = 0
        init(_ data: UnsafeRawBufferPointer) { self.data = data }
    }

    static func decode(_ data: UnsafeRawBufferPointer, limits: MediaLimits, deadline: Deadline) throws(CoalitionError) -> RGBImage {
        let source = Source(data)
        var error: Int32 = 0
        let opened = withExtendedLifetime(source) {
            DGifOpen(Unmanaged.passUnretained(source).toOpaque(), { gif, buffer, count in
                guard let gif, let buffer, let user = gif.pointee.UserData else { return 0 }
                let s = Unmanaged<Source>.fromOpaque(user).takeUnretainedValue()
                let n = max(0, min(Int(count), s.data.count - s.offset))
                if n > 0 { buffer.update(from: s.data.baseAddress!.advanced(by: s.offset).assumingMemoryBound(to: UInt8.self), count: n) }
                s.offset += n
                return Int32(n)
            }, &error)
        }
        guard let gif = opened else {
            throw CoalitionError(.corruptMedia, "not a readable GIF: \(describe(error))", field: "file")
        }
        defer { var e: Int32 = 0; _ = DGifCloseFile(gif, &e) }
        return try withExtendedLifetime(source) { () throws(CoalitionError) -> RGBImage in
            try firstFrame(gif, limits: limits, deadline: deadline)
        }
    }

    private static func firstFrame(_ gif: UnsafeMutablePointer<GifFileType>, limits: MediaLimits, deadline: Deadline) throws(CoalitionError) -> RGBImage {
        let width = Int(gif.pointee.SWidth), height = Int(gif.pointee.SHeight)
        try limits.check(width: width, height: height, what: "GIF image")
        func failed(_ what: String) -> CoalitionError {
            CoalitionError(.corruptMedia, "the GIF is truncated or corrupt: \(what): \(describe(gif.pointee.Error))", field: "file")
        }
        while true {
            var type = UNDEFINED_RECORD_TYPE
            guard DGifGetRecordType(gif, &type) == GIF_OK else { throw failed("reading a record") }
            switch type {
            case EXTENSION_RECORD_TYPE:
                var code: Int32 = 0
                var ext: UnsafeMutablePointer<GifByteType>?
                guard DGifGetExtension(gif, &code, &ext) == GIF_OK else { throw failed("reading an extension") }
                while ext != nil {
                    guard DGifGetExtensionNext(gif, &ext) == GIF_OK else { throw failed("reading an extension") }
                }
            case IMAGE_DESC_RECORD_TYPE:
                guard DGifGetImageDesc(gif) == GIF_OK else { throw failed("reading the frame header") }
                return try drawFrame(gif, width: width, height: height, limits: limits, deadline: deadline, failed: failed)
            case TERMINATE_RECORD_TYPE:
                throw CoalitionError(.corruptMedia, "the GIF holds no image", field: "file")
            default:
                throw failed("an unknown record")
            }
        }
    }

    private static func drawFrame(
        _ gif: UnsafeMutablePointer<GifFileType>, width: Int, height: Int, limits: MediaLimits, deadline: Deadline,
        failed: (String) -> CoalitionError
    ) throws(CoalitionError) -> RGBImage {
        let desc = gif.pointee.Image
        let fw = Int(desc.Width), fh = Int(desc.Height), left = Int(desc.Left), top = Int(desc.Top)
        try limits.check(width: fw, height: fh, what: "GIF frame")
        guard let map = desc.ColorMap ?? gif.pointee.SColorMap, let colors = map.pointee.Colors else {
            throw CoalitionError(.corruptMedia, "the GIF has no colour table", field: "file")
        }
        let colorCount = Int(map.pointee.ColorCount)
        func rgb(_ index: Int) -> (UInt8, UInt8, UInt8) {
            guard index < colorCount else { return (0, 0, 0) }
            let c = colors[index]
            return (c.Red, c.Green, c.Blue)
        }
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let background = rgb(Int(gif.pointee.SBackGroundColor))
        for p in 0..<(width * height) {
            pixels[3 * p] = background.0
            pixels[3 * p + 1] = background.1
            pixels[3 * p + 2] = background.2
        }
        // Interlaced frames store rows in four passes.
        let rows: [Int] = desc.Interlace
            ? Array(stride(from: 0, to: fh, by: 8)) + Array(stride(from: 4, to: fh, by: 8))
                + Array(stride(from: 2, to: fh, by: 4)) + Array(stride(from: 1, to: fh, by: 2))
            : Array(0..<fh)
        var line = [GifPixelType](repeating: 0, count: fw)
        for (n, row) in rows.enumerated() {
            let ok = line.withUnsafeMutableBufferPointer { DGifGetLine(gif, $0.baseAddress, Int32(fw)) }
            guard ok == GIF_OK else { throw failed("reading row \(n + 1) of \(fh)") }
            if n & 63 == 0 { try deadline.check("decoding the GIF") }
            let y = top + row
            guard y >= 0, y < height else { continue }
            for x in 0..<fw where left + x >= 0 && left + x < width {
                let c = rgb(Int(line[x]))
                let p = 3 * (y * width + left + x)
                pixels[p] = c.0
                pixels[p + 1] = c.1
                pixels[p + 2] = c.2
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = GifErrorString(code) else { return "giflib error \(code)" }
        return String(cString: text)
    }
}

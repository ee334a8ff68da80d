import CoalitionCore
import CAV
import Foundation

/// Video through ffmpeg's libavformat and libavcodec, read from memory (a custom I/O context:
/// no file, no URL, no other protocol is ever opened), sampled and hashed as the reference
/// vPDQ does: every ⌊secondsPerFrame × frame rate⌋-th decoded frame, converted to RGB24 at its
/// own size with swscale's area filter, then PDQ.
enum VideoBackend {
    struct Result {
        var hash: VPDQHash
        var width: Int
        var height: Int
        var seconds: Double
    }

    /// The bytes libavformat reads, through its callbacks.
    private final class Input {
        let data: UnsafeRawBufferPointer
        var offset = 0
        init(_ data: UnsafeRawBufferPointer) { self.data = data }
    }

    // ffmpeg's error codes are function-like macros, which Swift does not import.
    private static let errorEOF: Int32 = -0x2046_4F45  // AVERROR_EOF: -MKTAG('E','O','F',' ')
    private static let errorAgain: Int32 = -EAGAIN

    static func hash(_ data: UnsafeRawBufferPointer, limits: MediaLimits, secondsPerFrame: Double, deadline: Deadline) throws(CoalitionError) -> Result {
        av_log_set_level(AV_LOG_QUIET)  // ffmpeg's own messages would go to stderr, unstructured
        let input = Input(data)
        return try withExtendedLifetime(input) { () throws(CoalitionError) -> Result in
            try decode(input, limits: limits, secondsPerFrame: secondsPerFrame, deadline: deadline)
        }
    }

    private static func decode(_ input: Input, limits: MediaLimits, secondsPerFrame: Double, deadline: Deadline) throws(CoalitionError) -> Result {
        let bufferSize: Int32 = 64 * 1024
        guard let buffer = av_malloc(Int(bufferSize))?.assumingMemoryBound(to: UInt8.self),
              let io = avio_alloc_context(buffer, bufferSize, 0, Unmanaged.passUnretained(input).toOpaque(), readPacket, nil, seek)
        else { throw CoalitionError(.unavailable, "out of memory for the video decoder") }
        var ioOptional: UnsafeMutablePointer<AVIOContext>? = io
        defer {
            av_freep(&io.pointee.buffer)  // libavformat may have replaced the buffer
            avio_context_free(&ioOptional)
        }
        var format: UnsafeMutablePointer<AVFormatContext>? = avformat_alloc_context()
        guard let context = format else { throw CoalitionError(.unavailable, "out of memory for the video decoder") }
        context.pointee.pb = io
        context.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        let opened = avformat_open_input(&format, nil, nil, nil)
        guard opened >= 0, let format else {
            throw CoalitionError(.corruptMedia, "not a readable video: \(describe(opened))", field: "file")
        }
        var formatToClose: UnsafeMutablePointer<AVFormatContext>? = format
        defer { avformat_close_input(&formatToClose) }
        let info = avformat_find_stream_info(format, nil)
        guard info >= 0 else { throw CoalitionError(.corruptMedia, "the video's streams cannot be read: \(describe(info))", field: "file") }
        let duration = format.pointee.duration
        if duration > 0, Double(duration) / Double(AV_TIME_BASE) > limits.maxVideoSeconds {
            throw CoalitionError(.tooLarge, "the video lasts \(Int(Double(duration) / Double(AV_TIME_BASE))) s; the limit is \(Int(limits.maxVideoSeconds)) s", field: "file")
        }
        guard let streamIndex = (0..<Int(format.pointee.nb_streams)).first(where: {
            format.pointee.streams[$0]!.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
        }) else { throw CoalitionError(.corruptMedia, "the file holds no video stream", field: "file") }
        let stream = format.pointee.streams[streamIndex]!
        let parameters = stream.pointee.codecpar!
        let width = Int(parameters.pointee.width), height = Int(parameters.pointee.height)
        try limits.check(width: width, height: height, what: "video frame")
        guard let codec = avcodec_find_decoder(parameters.pointee.codec_id) else {
            throw CoalitionError(.unsupportedMedia, "the video's codec is not supported by this node's ffmpeg", field: "file")
        }
        var codecContext: UnsafeMutablePointer<AVCodecContext>? = avcodec_alloc_context3(codec)
        guard let decoder = codecContext else { throw CoalitionError(.unavailable, "out of memory for the video decoder") }
        defer { avcodec_free_context(&codecContext) }
        guard avcodec_parameters_to_context(decoder, parameters) >= 0 else {
            throw CoalitionError(.corruptMedia, "the video's codec parameters are invalid", field: "file")
        }
        // Decoding is most of the work: frame and slice threads where the codec has them (up to
        // 4; they inherit the calling thread's priority). Threading changes no decoded pixel.
        let caps = codec.pointee.capabilities
        if caps & (AV_CODEC_CAP_FRAME_THREADS | AV_CODEC_CAP_SLICE_THREADS) != 0 {
            decoder.pointee.thread_count = Int32(min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)))
            decoder.pointee.thread_type = (caps & AV_CODEC_CAP_FRAME_THREADS != 0 ? FF_THREAD_FRAME : 0)
                | (caps & AV_CODEC_CAP_SLICE_THREADS != 0 ? FF_THREAD_SLICE : 0)
        } else {
            decoder.pointee.thread_count = 1
        }
        let opening = avcodec_open2(decoder, codec, nil)
        guard opening >= 0 else { throw CoalitionError(.corruptMedia, "the video's decoder does not open: \(describe(opening))", field: "file") }
        var rate = stream.pointee.avg_frame_rate
        if rate.num == 0 || rate.den == 0 { rate = stream.pointee.r_frame_rate }
        guard rate.num > 0, rate.den > 0 else { throw CoalitionError(.corruptMedia, "the video has no frame rate", field: "file") }
        let frameRate = Double(rate.num) / Double(rate.den)
        let frameMod = max(1, Int(secondsPerFrame * frameRate))

        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        var frame: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        var rgb: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        var scaler: OpaquePointer? = nil
        defer {
            av_packet_free(&packet)
            av_frame_free(&frame)
            av_frame_free(&rgb)
            sws_freeContext(scaler)
        }
        guard let packet, let frame, let rgb else { throw CoalitionError(.unavailable, "out of memory for the video decoder") }
        var frames: [VPDQHash.Frame] = []
        var decoded = 0

        func receive() throws(CoalitionError) {
            while true {
                let r = avcodec_receive_frame(decoder, frame)
                if r == errorAgain || r == errorEOF { return }
                guard r >= 0 else { throw CoalitionError(.corruptMedia, "the video is corrupt: frame \(decoded + 1) does not decode: \(describe(r))", field: "file") }
                defer { av_frame_unref(frame) }
                let number = decoded
                decoded += 1
                let seconds = Double(number) / frameRate
                if seconds > limits.maxVideoSeconds {
                    throw CoalitionError(.tooLarge, "the video lasts over \(Int(limits.maxVideoSeconds)) s, the limit", field: "file")
                }
                guard number % frameMod == 0 else { continue }
                try deadline.check("decoding the video")
                let fw = Int(frame.pointee.width), fh = Int(frame.pointee.height)
                try limits.check(width: fw, height: fh, what: "video frame")
                scaler = sws_getCachedContext(
                    scaler, frame.pointee.width, frame.pointee.height, AVPixelFormat(frame.pointee.format),
                    frame.pointee.width, frame.pointee.height, AV_PIX_FMT_RGB24, SWS_AREA, nil, nil, nil)
                guard let scaler else { throw CoalitionError(.corruptMedia, "the video's pixel format cannot be converted", field: "file") }
                if rgb.pointee.width != frame.pointee.width || rgb.pointee.height != frame.pointee.height {
                    av_frame_unref(rgb)
                    rgb.pointee.format = AV_PIX_FMT_RGB24.rawValue
                    rgb.pointee.width = frame.pointee.width
                    rgb.pointee.height = frame.pointee.height
                    guard av_frame_get_buffer(rgb, 0) >= 0 else { throw CoalitionError(.unavailable, "out of memory for a video frame") }
                }
                let source = withUnsafePointer(to: &frame.pointee.data) { $0.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { $0 } }
                let sourceLines = withUnsafePointer(to: &frame.pointee.linesize) { $0.withMemoryRebound(to: Int32.self, capacity: 8) { $0 } }
                let target = withUnsafePointer(to: &rgb.pointee.data) { $0.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { $0 } }
                let targetLines = withUnsafePointer(to: &rgb.pointee.linesize) { $0.withMemoryRebound(to: Int32.self, capacity: 8) { $0 } }
                sws_scale(scaler, source, sourceLines, 0, frame.pointee.height, target, targetLines)
                var pixels = [UInt8](repeating: 0, count: fw * fh * 3)
                let stride = Int(rgb.pointee.linesize.0)
                let base = rgb.pointee.data.0!
                pixels.withUnsafeMutableBufferPointer { p in
                    for y in 0..<fh { (p.baseAddress! + y * fw * 3).update(from: base + y * stride, count: fw * 3) }
                }
                let result = PDQ.hash(RGBImage(width: fw, height: fh, pixels: pixels), luma: .singlePrecision)
                frames.append(VPDQHash.Frame(hash: result.hash, quality: result.quality, seconds: seconds))
            }
        }

        while true {
            let r = av_read_frame(format, packet)
            if r == errorEOF { break }
            guard r >= 0 else { throw CoalitionError(.corruptMedia, "the video is truncated or corrupt: \(describe(r))", field: "file") }
            defer { av_packet_unref(packet) }
            guard Int(packet.pointee.stream_index) == streamIndex else { continue }
            // The demuxer marks a packet it could not read whole: the file ends inside it.
            guard packet.pointee.flags & AV_PKT_FLAG_CORRUPT == 0 else {
                throw CoalitionError(.corruptMedia, "the video is truncated or corrupt: frame \(decoded + 1)'s data is cut short", field: "file")
            }
            let sent = avcodec_send_packet(decoder, packet)
            guard sent >= 0 || sent == errorAgain else {
                throw CoalitionError(.corruptMedia, "the video is corrupt: a packet does not decode: \(describe(sent))", field: "file")
            }
            try receive()
        }
        _ = avcodec_send_packet(decoder, nil)  // flush the frames the decoder still holds
        try receive()
        guard !frames.isEmpty else { throw CoalitionError(.corruptMedia, "the video has no decodable frame", field: "file") }
        return Result(hash: VPDQHash(frames: frames), width: width, height: height, seconds: Double(decoded) / frameRate)
    }

    private static func describe(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 128)
        guard av_strerror(code, &text, text.count) == 0 else { return "ffmpeg error \(code)" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static let readPacket: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<UInt8>?, Int32) -> Int32 = { opaque, buffer, size in
        guard let opaque, let buffer else { return -EINVAL }
        let input = Unmanaged<Input>.fromOpaque(opaque).takeUnretainedValue()
        let n = min(Int(size), input.data.count - input.offset)
        guard n > 0 else { return errorEOF }
        buffer.update(from: input.data.baseAddress!.advanced(by: input.offset).assumingMemoryBound(to: UInt8.self), count: n)
        input.offset += n
        return Int32(n)
    }

    private static let seek: @convention(c) (UnsafeMutableRawPointer?, Int64, Int32) -> Int64 = { opaque, offset, whence in
        guard let opaque else { return Int64(-EINVAL) }
        let input = Unmanaged<Input>.fromOpaque(opaque).takeUnretainedValue()
        let size = Int64(input.data.count)
        let mode = whence & ~Int32(AVSEEK_FORCE)
        if mode == AVSEEK_SIZE { return size }
        let target: Int64
        switch mode {
        case SEEK_SET: target = offset
        case SEEK_CUR: target = Int64(input.offset) + offset
        case SEEK_END: target = size + offset
        default: return Int64(-EINVAL)
        }
        guard target >= 0, target <= size else { return Int64(-EINVAL) }
        input.offset = Int(target)
        return target
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP client on loopback for sending bytes no HTTP library would send: malformed
/// chunks, NUL bytes, oversized headers, a trickle of header bytes.
final class RawConnection {
    private(set) var fd: Int32

    /// Connects to `host`:`port` (an IPv4 address on this machine); reads time out after
    /// `timeout` seconds.
    init(host: String = "127.0.0.1", port: Int, timeout: Double = 15) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .ECONNREFUSED)
        }
    }

    deinit { close() }

    /// Closes the socket, once (a second close could close a descriptor reused meanwhile).
    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    /// Sends every byte; false once the peer has closed the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads until the peer closes the connection or a read times out.
    func readAll() -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return out }
            out += buffer[..<n]
        }
    }

    /// Reads what arrives until `done` holds for it or the deadline passes.
    func read(until done: ([UInt8]) -> Bool, within seconds: Double) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(seconds)
        while !done(out) && Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return out
    }

    /// Whether the peer has closed the connection (a zero-byte read), checked without waiting.
    var peerClosed: Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT | MSG_PEEK))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
}

/// One HTTP/1.1 response, parsed from raw bytes.
struct RawResponse {
    var status: Int
    var headers: [String: String]
    /// Every `Set-Cookie` header, in order (``headers`` keeps only the last).
    var cookies: [String] = []
    var body: [UInt8]

    /// The first response in `bytes`, or nil if there is none.
    init?(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1.1 "), let code = Int(statusLine.dropFirst(9).prefix(3)) else { return nil }
        status = code
        headers = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased(), value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
            if name == "set-cookie" { cookies.append(value) }
        }
        let bodyStart = text.utf8.distance(from: text.startIndex, to: split.upperBound)
        let length = headers["content-length"].flatMap(Int.init) ?? (bytes.count - bodyStart)
        body = Array(bytes[bodyStart..<min(bytes.count, bodyStart + length)])
    }

    /// The body as a problem document, if it is one.
    var problem: [String: Any]? {
        guard headers["content-type"] == "application/problem+json" else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }
}

/// Sends `request` on a new connection and returns the first response (nil if none came
/// within `timeout` seconds).
func rawExchange(host: String = "127.0.0.1", port: Int, _ request: [UInt8], timeout: Double = 15) throws -> RawResponse? {
    let c = try RawConnection(host: host, port: port, timeout: timeout)
    c.send(request)
    return RawResponse(c.read(until: RawResponse.isComplete, within: timeout))
}

extension RawResponse {
    /// Whether `bytes` hold a whole response: its head and `Content-Length` bytes of body.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        guard let r = RawResponse(bytes), let length = r.headers["content-length"].flatMap(Int.init) else { return false }
        return r.body.count >= length
    }
}

extension TestNode {
    /// Publishes a trend through `POST /v1/signals`, signed by the running node (with its own
    /// clock); nil when no answer came.
    func publishThroughAPI(_ value: String, token: String, timeout: Double = 30) throws -> RawResponse? {
        let body = #"{"kind":"trend","value":"\#(value)","category":"protection_of_minors/unsafe_challenges"}"#
        let request = "POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return try rawExchange(port: apiPort, Array(request.utf8), timeout: timeout)
    }
}

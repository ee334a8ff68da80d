import Foundation

/// Picks loopback TCP ports for demos, tests and benchmarks.
public enum LoopbackPort {
    /// A port on 127.0.0.1 that is free now (the kernel's choice for port 0). Another process
    /// could take it before it is used; callers here bind it within milliseconds.
    public static func free() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        precondition(ok, "cannot bind a loopback socket")
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}

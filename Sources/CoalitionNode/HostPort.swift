import CoalitionCore

/// A `host:port` address as written in the configuration (`[::1]:7420` for IPv6).
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// - Throws: `CoalitionError(.configuration)` naming what is wrong.
    public init(parsing text: String) throws(CoalitionError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        let hostPart: Substring, portPart: Substring
        if t.hasPrefix("[") {
            guard let close = t.firstIndex(of: "]"), t[t.index(after: close)...].hasPrefix(":") else {
                throw CoalitionError(.configuration, "'\(text)' is not host:port (IPv6 addresses go in brackets: [::1]:7420)")
            }
            hostPart = t[t.index(after: t.startIndex)..<close]
            portPart = t[t.index(close, offsetBy: 2)...]
        } else {
            guard let colon = t.lastIndex(of: ":"), t.firstIndex(of: ":") == colon else {
                throw CoalitionError(.configuration, "'\(text)' is not host:port (IPv6 addresses go in brackets: [::1]:7420)")
            }
            hostPart = t[..<colon]
            portPart = t[t.index(after: colon)...]
        }
        guard !hostPart.isEmpty, let port = Int(portPart), (0...65_535).contains(port) else {
            throw CoalitionError(.configuration, "'\(text)' needs a host and a port between 0 and 65535")
        }
        host = String(hostPart)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

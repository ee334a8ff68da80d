import CoalitionCore
import Foundation

/// A webhook endpoint's address: `http` or `https`, a host, an optional port and a path.
public struct WebhookURL: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// The path and query, starting with `/`.
    public var target: String

    /// - Throws: `CoalitionError(.invalidField)` (field `url`) for anything else.
    public init(parsing text: String) throws(CoalitionError) {
        guard let c = URLComponents(string: text), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = c.host, !host.isEmpty, c.user == nil, c.password == nil, c.fragment == nil else {
            throw CoalitionError(.invalidField, "'\(text.prefix(200))' is not an http(s) URL with a host (and no user, password or fragment)", field: "url")
        }
        secure = scheme == "https"
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = c.port ?? (secure ? 443 : 80)
        guard (1...65535).contains(port) else { throw CoalitionError(.invalidField, "port \(port) is out of range", field: "url") }
        let path = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
        target = path + (c.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    /// The `Host` header.
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? h : "\(h):\(port)"
    }

    public var description: String { (secure ? "https://" : "http://") + hostHeader + target }
}

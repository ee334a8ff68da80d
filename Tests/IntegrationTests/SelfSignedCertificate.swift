import Foundation
import Testing

/// Writes a self-signed P-256 certificate for 127.0.0.1 and its key (mode 0600), made with openssl.
func makeSelfSignedCertificate(cert: String, key: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let openssl = Process()
    openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    openssl.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]
    openssl.standardError = FileHandle.nullDevice
    try openssl.run()
    openssl.waitUntilExit()
    try #require(openssl.terminationStatus == 0, "openssl req failed", sourceLocation: sourceLocation)
    chmod(key, 0o600)
}

extension TestNode {
    /// Points `api.tlsCertificate` and `api.tlsKey` at `api.crt` and `api.key` in the node's
    /// directory, which the caller provides.
    func configureAPITLS() throws {
        try editConfiguration(replacing: "tlsCertificate: \"\"", with: "tlsCertificate: \"api.crt\"")
        try editConfiguration(replacing: "tlsKey: \"\"", with: "tlsKey: \"api.key\"")
    }

    /// Serves the node's HTTP API over HTTPS with a new self-signed certificate for 127.0.0.1.
    /// - Returns: the certificate's path, for a client to trust.
    @discardableResult
    func serveAPIOverHTTPS(sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let cert = dir + "/api.crt"
        try makeSelfSignedCertificate(cert: cert, key: dir + "/api.key", sourceLocation: sourceLocation)
        try configureAPITLS()
        return cert
    }
}

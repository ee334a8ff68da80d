import CoalitionCore
import CoalitionCrypto
import Crypto
import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// This node's TLS credentials, bound to its member key (`Protocol/SPEC.md` §13.1).
///
/// The certificate is self-signed with the member's Ed25519 key itself, made with
/// swift-certificates: the TLS 1.3 handshake's CertificateVerify then proves possession of the
/// member key, and a peer is identified by the public key in its certificate, never by a CA or a
/// host name. The TLS stack (BoringSSL) holds its own copy of the key for the process lifetime;
/// every intermediate copy made here is wiped.
public struct TLSIdentity: Sendable {
    /// The certificate (DER inside).
    public let certificate: NIOSSLCertificate
    let privateKey: NIOSSLPrivateKey
    /// The member key the certificate carries.
    public let memberKey: PublicKey

    /// The DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32-byte key follows it.
    static let ed25519SPKIPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// Makes the certificate for `signer`: valid from an hour ago for ten years (validity is not
    /// what authenticates a peer; membership is).
    /// - Throws: `CoalitionError(.configuration)` if the TLS stack refuses the key.
    public init(signer: Signer, name: String) throws {
        var seed = signer.exportSeed()
        defer { Memory.wipe(&seed) }
        do {
            let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
            let certKey = Certificate.PrivateKey(key)
            let subject = try DistinguishedName {
                CommonName(MemberID(publicKey: signer.publicKey).description)
                OrganizationName(String(name.prefix(64)))
            }
            let now = Date()
            let cert = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: certKey.publicKey,
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
                issuer: subject, subject: subject, signatureAlgorithm: .ed25519,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth, .clientAuth])
                },
                issuerPrivateKey: certKey)
            var serializer = DER.Serializer()
            try serializer.serialize(cert)
            certificate = try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
            var pem = Array(try certKey.serializeAsPEM().pemString.utf8)
            defer { Memory.wipe(&pem) }
            privateKey = try NIOSSLPrivateKey(bytes: pem, format: .pem)
            memberKey = signer.publicKey
        } catch {
            throw CoalitionError(.configuration, "cannot make the TLS certificate from the member key: \(error)", underlying: error)
        }
    }

    /// The member key in a peer's certificate, or nil if it is not an Ed25519 certificate.
    public static func memberKey(of certificate: NIOSSLCertificate) -> PublicKey? {
        guard let spki = try? certificate.extractPublicKey().toSPKIBytes(),
              spki.count == ed25519SPKIPrefix.count + 32, spki.starts(with: ed25519SPKIPrefix) else { return nil }
        return try? PublicKey(bytes: spki.suffix(32))
    }

    /// The TLS configuration both roles share: TLS 1.3 only, Ed25519 signatures only, this
    /// node's certificate, and a peer certificate required (checked by the caller's callback).
    func configuration(server: Bool) -> TLSConfiguration {
        var c = server
            ? TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(privateKey))
            : TLSConfiguration.makeClientConfiguration()
        if !server {
            c.certificateChain = [.certificate(certificate)]
            c.privateKey = .privateKey(privateKey)
        }
        c.minimumTLSVersion = .tlsv13
        c.maximumTLSVersion = .tlsv13
        c.signingSignatureAlgorithms = [.ed25519]
        c.verifySignatureAlgorithms = [.ed25519]
        c.certificateVerification = .noHostnameVerification
        c.trustRoots = .certificates([])
        return c
    }

    /// The server context (accepting peers).
    public func makeServerContext() throws -> NIOSSLContext { try NIOSSLContext(configuration: configuration(server: true)) }

    /// The client context (dialing peers).
    public func makeClientContext() throws -> NIOSSLContext { try NIOSSLContext(configuration: configuration(server: false)) }
}

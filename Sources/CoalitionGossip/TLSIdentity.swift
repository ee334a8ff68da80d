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

    /// How a certificate carries a rotated member's rotation entries (`Protocol/SPEC.md`
    /// §13.9): one subject alternative name per entry, a URI of this prefix followed by the
    /// entry in unpadded base64url. A standard extension, so that no private OID is needed.
    static let rotationProofPrefix = "urn:coalition:rotation:"

    /// The rotation entries this certificate carries, oldest first (empty when the key never rotated).
    public let rotationProof: [[UInt8]]

    /// Makes the certificate for `signer`: valid from an hour ago for ten years (validity is not
    /// what authenticates a peer; membership is).
    /// - Parameter rotationProof: the encoded rotation entries that lead from a key the peers
    ///   know to this one, oldest first. A peer that has not yet received them by gossip (it was
    ///   offline during the rotation) checks them in the handshake and accepts the new key.
    /// - Throws: `CoalitionError(.configuration)` if the TLS stack refuses the key.
    public init(signer: Signer, name: String, rotationProof: [[UInt8]] = []) throws {
        self.rotationProof = rotationProof
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
                    if !rotationProof.isEmpty {
                        SubjectAlternativeNames(rotationProof.map { .uniformResourceIdentifier(Self.rotationProofPrefix + Self.base64url($0)) })
                    }
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

    /// The rotation entries a peer's certificate carries (empty when there are none or they do
    /// not parse: the peer is then judged by its key alone). At most 16 are read.
    public static func rotationProof(of certificate: NIOSSLCertificate) -> [[UInt8]] {
        guard let der = try? certificate.toDERBytes(), let cert = try? Certificate(derEncoded: der),
              let names = try? cert.extensions.subjectAlternativeNames else { return [] }
        return names.prefix(16).compactMap { name -> [UInt8]? in
            guard case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix(rotationProofPrefix) else { return nil }
            return unbase64url(uri.dropFirst(rotationProofPrefix.count))
        }
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        String(Data(bytes).base64EncodedString().map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 }.filter { $0 != "=" })
    }

    static func unbase64url(_ text: Substring) -> [UInt8]? {
        var s = String(text.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        return Data(base64Encoded: s).map { Array($0) }
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

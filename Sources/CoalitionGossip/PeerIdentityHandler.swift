import CoalitionCore
import CoalitionCrypto
import CoalitionSync
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import NIOTLS

/// Waits for the TLS handshake and reports which member key the peer proved. The member key is
/// captured by the certificate verification callback (``PeerIdentityHandler/verifier``), which
/// refuses any key that is not an accepted member; this handler completes ``identity`` once the
/// handshake is done, or fails it when the connection ends first or takes too long.
final class PeerIdentityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Fulfilled with the peer's member key after a successful handshake.
    let identity: EventLoopPromise<PublicKey>
    private let verified = NIOLockedValueBox<PublicKey?>(nil)
    private var done = false
    private let timeout: TimeAmount
    private var timer: Scheduled<Void>?

    init(eventLoop: any EventLoop, timeout: TimeAmount) {
        self.identity = eventLoop.makePromise()
        self.timeout = timeout
    }

    /// The certificate check: accepts exactly one Ed25519 certificate whose key is an accepted
    /// member (and, when dialing, the member we meant to reach). Logs the reason of a refusal.
    func verifier(members: MemberRegistry, expected: PublicKey?, logger: Logger, refused: @escaping @Sendable () -> Void) -> NIOSSLCustomVerificationCallback {
        let verified = self.verified
        return { certificates, promise in
            guard let leaf = certificates.first, let key = TLSIdentity.memberKey(of: leaf) else {
                logger.warning("refusing TLS peer: its certificate does not carry an Ed25519 member key")
                refused()
                promise.succeed(.failed)
                return
            }
            let id = MemberID(publicKey: key)
            // A member that rotated its key carries the rotation entries in its certificate: a
            // node that missed them (offline during the rotation) learns them here.
            if members.isUnknown(key),
               let proof = KeySuccession.proven(by: TLSIdentity.rotationProof(of: leaf), endingAt: key),
               members.learn(proof: proof.rotations, from: proof.from) {
                logger.notice("TLS peer \(id.short) proved a key rotation from member \(MemberID(publicKey: proof.from).short)", metadata: ["peer.id": "\(id)"])
            }
            if let expected, key != members.current(of: expected) {
                let now = members.current(of: expected)
                let wanted = now == expected ? "member \(MemberID(publicKey: expected).short)" : "member \(MemberID(publicKey: expected).short), now \(MemberID(publicKey: now).short) after its key rotation"
                logger.warning("refusing TLS peer: expected \(wanted), it proved \(id.short)", metadata: ["peer.id": "\(id)"])
                refused()
                promise.succeed(.failed)
                return
            }
            if let reason = members.refusal(of: key) {
                logger.warning("refusing TLS peer \(id.short): \(reason)", metadata: ["peer.id": "\(id)"])
                refused()
                promise.succeed(.failed)
                return
            }
            verified.withLockedValue { $0 = key }
            promise.succeed(.certificateVerified)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = identity
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) {
            promise.fail(WireError(.timeout, "TLS handshake and hello did not complete in time"))
            channel.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls, !done {
            done = true
            timer?.cancel()
            if let key = verified.withLockedValue({ $0 }) {
                identity.succeed(key)
            } else {
                identity.fail(WireError(.notAMember, "handshake completed without a verified member key"))
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            timer?.cancel()
            identity.fail(error)
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            timer?.cancel()
            identity.fail(WireError(.truncated, "the connection closed during the TLS handshake"))
        }
        context.fireChannelInactive()
    }
}

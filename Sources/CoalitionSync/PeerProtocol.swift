import CoalitionCore
import CoalitionCrypto

/// The per-connection protocol state machine of §13.5, as a value that turns received messages
/// into actions. The session carries the actions out (store reads and writes, sending); this
/// type does no I/O, so every transition is tested without a socket.
///
/// States: `awaitingHello` → `established` → `closed`. Both sides send `hello` and then `heads`
/// as soon as TLS completes, without waiting: the heads exchange is the only round trip of a sync.
public struct PeerProtocol: Sendable {
    public enum State: Sendable, Equatable {
        case awaitingHello
        case established(WireMessage.Hello)
        case closed
    }

    /// What the session must do after a message.
    public enum Action: Sendable, Equatable {
        /// Nothing.
        case none
        /// The peer proved who it is; the session is live.
        case established(WireMessage.Hello)
        /// Send the peer what its digest says it lacks (``SyncPlanner``); if the digest asks for a
        /// reply, send this node's heads first.
        case sendMissing(HeadsSummary)
        /// Verify and store these entries (policy, quota and validity apply).
        case ingest([[UInt8]])
        /// Send every entry of `author` with seq in `from…to` (at most
        /// ``WireLimits/maxServedRange`` of them).
        case serveRange(author: PublicKey, from: UInt64, to: UInt64)
        /// A fork proof that holds (two valid entries of `author` at `seq`): store both entries
        /// (which announces the fork to every peer). An invalid proof closes the session instead.
        case storeForkProof([UInt8], [UInt8], author: PublicKey, seq: UInt64)
        /// Send this message.
        case send(WireMessage)
        /// A message of an unknown type was ignored.
        case ignored(type: UInt8)
        /// Send `goodbye` with this error and close: the peer broke the protocol.
        case close(WireError)
        /// The peer said goodbye; close.
        case peerClosed(WireError.Code, String)
    }

    public private(set) var state: State = .awaitingHello
    /// The key the TLS handshake proved the peer holds.
    public let authenticatedKey: PublicKey
    /// Our own greeting.
    public let localHello: WireMessage.Hello

    public init(localHello: WireMessage.Hello, authenticatedKey: PublicKey) {
        self.localHello = localHello
        self.authenticatedKey = authenticatedKey
    }

    /// The largest frame this node may send to the peer.
    public var sendFrameLimit: Int {
        guard case .established(let h) = state else { return WireLimits.minFrameBytes }
        return Int(min(h.maxFrameBytes, localHello.maxFrameBytes))
    }

    /// Handles one received message.
    public mutating func receive(_ message: WireMessage) -> Action {
        switch state {
        case .closed:
            return .none
        case .awaitingHello:
            switch message {
            case .hello(let hello):
                return accept(hello)
            case .goodbye(let code, let reason):
                state = .closed
                return .peerClosed(code, reason)
            default:
                return fail(WireError(.unexpectedMessage, "expected hello, got message type \(message.typeByte)"))
            }
        case .established:
            switch message {
            case .hello:
                return fail(WireError(.unexpectedMessage, "hello was already received"))
            case .heads(let summary):
                return .sendMissing(summary)
            case .entries(let list):
                return list.isEmpty ? .none : .ingest(list)
            case .rangeRequest(let author, let from, let to):
                guard from >= 1, to >= from else {
                    return fail(WireError(.malformed, "rangeRequest \(from)…\(to) is empty or starts below seq 1"))
                }
                let (last, overflow) = from.addingReportingOverflow(WireLimits.maxServedRange - 1)
                return .serveRange(author: author, from: from, to: overflow ? to : min(to, last))
            case .forkProof(let a, let b):
                do {
                    let (author, seq) = try ForkProof.check(a, b)
                    return .storeForkProof(a, b, author: author, seq: seq)
                } catch {
                    return fail(error)
                }
            case .keepAlive(let nonce, let reply):
                return reply ? .send(.keepAlive(nonce: nonce, reply: false)) : .none
            case .goodbye(let code, let reason):
                state = .closed
                return .peerClosed(code, reason)
            case .unknown(let type, _):
                return .ignored(type: type)
            }
        }
    }

    /// Marks the connection closed by this side (shutdown or error); later messages are ignored.
    public mutating func close() {
        state = .closed
    }

    private mutating func accept(_ hello: WireMessage.Hello) -> Action {
        guard hello.version >= 1 else {
            return fail(WireError(.unsupportedVersion, "protocol version \(hello.version) is not supported (this node speaks 1)"))
        }
        guard hello.member == authenticatedKey else {
            return fail(WireError(.identityMismatch, "hello names member \(MemberID(publicKey: hello.member).short) but TLS proved \(MemberID(publicKey: authenticatedKey).short)"))
        }
        guard hello.maxFrameBytes >= UInt32(WireLimits.minFrameBytes) else {
            return fail(WireError(.malformed, "hello.maxFrameBytes \(hello.maxFrameBytes) is below the minimum \(WireLimits.minFrameBytes)"))
        }
        state = .established(hello)
        return .established(hello)
    }

    private mutating func fail(_ error: WireError) -> Action {
        state = .closed
        return .close(error)
    }
}

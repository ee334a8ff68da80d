import CoalitionCore
import CoalitionCrypto

/// The seeded generator of property tests, so that each is reproducible from its seed.
public typealias SeededRandom = SplitMix64

/// Generates random but valid-by-construction entry sets from several authors, with
/// retractions, opinions, forks (equivocation), restricted entries, unknown body types and key
/// rotations, plus a sprinkling of invalid entries that every replica must reject.
public struct EntrySetGenerator {
    var rng: SeededRandom
    public let authors: [Signer]
    /// A member that some restricted entries are addressed to.
    public let reader: Signer
    /// A member no entry is addressed to.
    public let outsider: Signer

    public init(seed: UInt64, authorCount: Int = 3) {
        var r = SeededRandom(seed: seed)
        var seeds: [[UInt8]] = []
        for _ in 0..<(authorCount + 2) {
            var s: [UInt8] = []
            for _ in 0..<32 { s.append(UInt8.random(in: 0...255, using: &r)) }
            seeds.append(s)
        }
        rng = r
        authors = seeds.prefix(authorCount).map { try! Signer(seed: $0) }
        reader = try! Signer(seed: seeds[authorCount])
        outsider = try! Signer(seed: seeds[authorCount + 1])
    }

    public struct Output: Sendable {
        /// Entries every replica must accept.
        public var valid: [Entry] = []
        /// Entries every replica must reject.
        public var invalid: [Entry] = []
        public var all: [Entry] { valid + invalid }
    }

    private static let sharedValues = [
        "https://example.com/challenge", "#blackoutchallenge", "tide pod challenge",
    ]

    public mutating func generate(entriesPerAuthor: ClosedRange<Int> = 4...12) -> Output {
        var out = Output()
        var signals: [EntryID] = []
        var ownSignals: [PublicKey: [EntryID]] = [:]
        var time: Int64 = 1_700_000_000_000
        for author in authors {
            var chain: [Entry] = []
            let n = Int.random(in: entriesPerAuthor, using: &rng)
            var closed = false
            for _ in 0..<n where !closed {
                time += Int64.random(in: 0...5000, using: &rng)
                let seq = UInt64(chain.count + 1)
                let prev = chain.last?.id ?? .zero
                let body = randomBody(author: author, seq: seq, signals: signals, own: ownSignals[author.publicKey] ?? [])
                if case .keyRotation = body { closed = true }
                let e: Entry
                if case .unknown(let t) = body {
                    e = try! Entry.sign(by: author, seq: seq, prev: prev, timestamp: time, bodyType: t, bodyBytes: [1, 2, 3, UInt8(seq & 0xff)])
                } else {
                    e = try! Entry.sign(by: author, seq: seq, prev: prev, timestamp: time, body: body)
                }
                chain.append(e)
                if case .publish = body { signals.append(e.id); ownSignals[author.publicKey, default: []].append(e.id) }
                if case .sealed = body { signals.append(e.id); ownSignals[author.publicKey, default: []].append(e.id) }
            }
            out.valid += chain
            // A fork: a second entry at some sequence number, sometimes continued.
            if chain.count >= 2 && Bool.random(using: &rng) {
                let at = Int.random(in: 0..<(chain.count - 1), using: &rng)
                var prev = at == 0 ? EntryID.zero : chain[at - 1].id
                var ts = at == 0 ? time : chain[at - 1].timestamp
                for k in 0..<Int.random(in: 1...2, using: &rng) {
                    let seq = UInt64(at + 1 + k)
                    let body = randomBody(author: author, seq: seq, signals: signals, own: ownSignals[author.publicKey] ?? [], allowRotation: false)
                    if case .unknown = body { break }  // keep forks to signed-body types
                    let e = try! Entry.sign(by: author, seq: seq, prev: prev, timestamp: ts, body: body)
                    out.valid.append(e)
                    if case .publish = body { signals.append(e.id); ownSignals[author.publicKey, default: []].append(e.id) }
                    prev = e.id
                    ts = e.timestamp
                }
            }
            // Invalid entries: a bad signature, and a broken sequence link.
            if let last = chain.last {
                var bytes = last.bytes
                bytes[bytes.count - 1] ^= 0x01
                out.invalid.append(try! Entry(decoding: bytes))
                if last.bodyType != BodyType.keyRotation {
                    let broken = try! Entry.sign(by: author, seq: last.seq + 2, prev: last.id, timestamp: time,
                                                 body: .opinion(try! Opinion(target: last.id, stance: .seen)))
                    out.invalid.append(broken)
                }
            }
        }
        return out
    }

    private mutating func randomBody(author: Signer, seq: UInt64, signals: [EntryID], own: [EntryID], allowRotation: Bool = true) -> Body {
        let roll = Int.random(in: 0..<100, using: &rng)
        switch roll {
        case 0..<35:
            return .publish(randomSignal())
        case 35..<45 where !own.isEmpty:
            return .retract(try! Retraction(target: own.randomElement(using: &rng)!, reason: "false positive, seq \(seq)"))
        case 45..<50 where !signals.isEmpty:
            // Retracting someone else's signal: valid entry, but it must have no effect.
            return .retract(try! Retraction(target: signals.randomElement(using: &rng)!, reason: "not mine"))
        case 50..<72 where !signals.isEmpty:
            let stance = Opinion.Stance.allCases.randomElement(using: &rng)!
            return .opinion(try! Opinion(target: signals.randomElement(using: &rng)!, stance: stance))
        case 72..<87:
            var recipients = [authors.randomElement(using: &rng)!.publicKey]
            if Bool.random(using: &rng) { recipients.append(reader.publicKey) }
            var signal = randomSignal()
            signal.tlp = Bool.random(using: &rng) ? .red : .amberStrict
            let inner: Body = (own.isEmpty || Bool.random(using: &rng)) ? .publish(signal)
                : .retract(try! Retraction(target: own.randomElement(using: &rng)!, reason: "sealed retraction"))
            return .sealed(try! SealedEnvelope.seal(inner, author: author.publicKey, seq: seq, recipients: recipients))
        case 87..<93:
            return .unknown(type: 77)
        case 93..<95 where allowRotation:
            let successor = try! Signer(seed: (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
            return .keyRotation(KeyRotation(from: author.publicKey, to: successor))
        default:
            return .publish(randomSignal())
        }
    }

    private mutating func randomSignal() -> Signal {
        let kinds: [SignalKind] = [.pdq, .md5, .sha256, .url, .trend, .other("audio-fp")]
        let kind = kinds.randomElement(using: &rng)!
        let value: String
        switch kind {
        case .pdq, .sha256: value = Hex.encode((0..<32).map { _ in UInt8.random(in: 0...3, using: &rng) })
        case .md5: value = Hex.encode((0..<16).map { _ in UInt8.random(in: 0...3, using: &rng) })
        case .url: value = Self.sharedValues[0] + "/\(Int.random(in: 0..<4, using: &rng))"
        case .trend: value = Self.sharedValues[Int.random(in: 1...2, using: &rng)]
        case .other: value = "fp:\(Int.random(in: 0..<5, using: &rng))"
        }
        let expires: Int64? = Bool.random(using: &rng) ? nil : 1_700_000_000_000 + Int64.random(in: 0...10_000_000, using: &rng)
        return try! Signal(kind: kind, value: value, category: "protection_of_minors/unsafe_challenges",
                           severity: Severity.allCases.randomElement(using: &rng)!, tlp: .green,
                           labels: Bool.random(using: &rng) ? ["Challenge", "minors"] : [], expiresAt: expires,
                           note: Bool.random(using: &rng) ? "seen on 3 platforms 🚨" : nil)
    }
}

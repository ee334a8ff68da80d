import CoalitionCore
import CoalitionCrypto
import CoalitionMedia
import CoalitionSync

/// Valid inputs the targets start from, built from fixed keys so that every run is the same.
enum Seeds {
    /// The author of the seed entries.
    static let author = try! Signer(seed: [UInt8](repeating: 1, count: 32))
    /// A recipient of the sealed seed entries, whose key the `sealed` target opens them with.
    static let reader = try! Signer(seed: [UInt8](repeating: 2, count: 32))
    static let successor = try! Signer(seed: [UInt8](repeating: 3, count: 32))
    static let hasher = MediaHasher(limits: MediaLimits(timeout: .seconds(5)))

    static let signals: [Signal] = [
        try! Signal(kind: .url, value: "https://scam.example.com/login", category: "scams_and_fraud/phishing", severity: .high,
                    labels: ["kit-a"], note: "a \"quoted\" note"),
        try! Signal(kind: .trend, value: "#BlackoutChallenge", category: "protection_of_minors/unsafe_challenges", severity: .critical, tlp: .amber),
        try! Signal(kind: .pdq, value: String(repeating: "f0", count: 32), category: "violence", expiresAt: 1_900_000_000_000, quality: 90),
        try! Signal(kind: .md5, value: "d41d8cd98f00b204e9800998ecf8427e", category: "violence"),
    ]

    /// One entry of each body type, chained from seq 1.
    static let entries: [Entry] = {
        let first = try! Entry.sign(by: author, seq: 1, prev: .zero, timestamp: 1_700_000_000_000, body: .publish(signals[0]))
        var out = [first]
        var bodies: [Body] = signals.dropFirst().map { .publish($0) }
        bodies.append(.retract(try! Retraction(target: first.id, reason: "mistake")))
        bodies.append(.opinion(try! Opinion(target: first.id, stance: .dispute, note: "a parked domain")))
        bodies.append(.sealed(try! SealedEnvelope.seal(.publish(signals[1]), author: author.publicKey, seq: UInt64(bodies.count + 2), recipients: [reader.publicKey])))
        bodies.append(.keyRotation(KeyRotation(from: author.publicKey, to: successor)))
        for body in bodies {
            let prev = out.last!
            out.append(try! Entry.sign(by: author, seq: prev.seq + 1, prev: prev.id, timestamp: prev.timestamp + 1, body: body))
        }
        out.append(try! Entry.sign(by: reader, seq: 1, prev: .zero, timestamp: 1_700_000_000_000, bodyType: 99, bodyBytes: [1, 2, 3]))
        return out
    }()

    /// Sealed bodies addressed to ``reader`` for an entry at seq 1 of ``author``.
    static let sealedBodies: [[UInt8]] = [Body.publish(signals[0]), .retract(try! Retraction(target: entries[0].id, reason: "dup")),
                                          .opinion(try! Opinion(target: entries[0].id, stance: .confirm))].map { inner in
        let envelope = try! SealedEnvelope.seal(inner, author: author.publicKey, seq: 1, recipients: [reader.publicKey, successor.publicKey])
        return Array(try! Entry.sign(by: author, seq: 1, prev: .zero, timestamp: 0, body: .sealed(envelope)).bodyBytes)
    }

    /// One message of each type.
    static let messages: [WireMessage] = [
        .hello(.init(member: author.publicKey)),
        .heads(HeadsSummary(replyRequested: true, authors: [.init(authorPrefix: 7, seq: 3, headPrefix: 9), .init(authorPrefix: 8, seq: 1, headPrefix: 2, equivocatingCount: 2)])),
        .entries(entries.prefix(3).map(\.bytes)),
        .rangeRequest(author: author.publicKey, from: 1, to: 9),
        .forkProof(entries[0].bytes, entries[1].bytes),
        .keepAlive(nonce: 42, reply: true),
        .goodbye(.malformed, "bye"),
        .unknown(type: 200, payload: [1, 2]),
    ]
}

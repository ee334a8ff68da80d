@testable import CoalitionCore
import CoalitionCrypto
import Foundation
import Testing

/// Checks that the code reproduces `Protocol/test-vectors/` byte for byte.
@Suite("Protocol test vectors")
struct VectorTests {
    init() throws {
        guard VectorFiles.shouldWrite else { return }
        try VectorFiles.write(VectorGenerator.entries(), "entries.json")
        try VectorFiles.write(VectorGenerator.invalid(), "invalid-entries.json")
        try VectorFiles.write(VectorGenerator.sealed(), "sealed-entries.json")
        try VectorFiles.write(VectorGenerator.memberIDs(), "member-ids.json")
        try VectorFiles.write(VectorGenerator.merge(), "merge.json")
        try VectorFiles.write(VectorGenerator.scenarios(), "scenarios.json")
    }

    static var entryVectors: [EntryVector] { (try? VectorFiles.load("entries.json", as: EntryVectorFile.self).vectors) ?? [] }
    static var invalidVectors: [InvalidVector] { (try? VectorFiles.load("invalid-entries.json", as: InvalidVectorFile.self).vectors) ?? [] }

    @Test("the vector files exist and are complete")
    func filesArePresent() throws {
        #expect(Self.entryVectors.count >= 15)
        #expect(Self.invalidVectors.count >= 25)
        // Every body type of version 1 has a vector, plus an unknown one.
        let types = Set(Self.entryVectors.map(\.bodyType))
        #expect(types.isSuperset(of: [BodyType.publish, BodyType.retract, BodyType.opinion, BodyType.keyRotation, 4096]))
        #expect(try VectorFiles.load("sealed-entries.json", as: SealedVectorFile.self).vectors.count >= 2)
    }

    @Test("entries are rebuilt byte for byte from their inputs", arguments: entryVectors)
    func rebuild(v: EntryVector) throws {
        let signer = try Signer(seed: Hex.decode(v.authorSeed)!)
        #expect(Hex.encode(signer.publicKey.bytes) == v.authorPublicKey)
        #expect(MemberID(publicKey: signer.publicKey).description == v.authorMemberID)
        let body: [UInt8]
        if let spec = v.body {
            body = BodyCodec.encode(try spec.body(author: signer.publicKey, type: v.bodyType))
            #expect(Hex.encode(body) == v.bodyHex, "body encoding of \(v.name)")
        } else {
            body = Hex.decode(v.bodyHex)!
        }
        let e = try Entry.sign(by: signer, seq: v.seq, prev: try EntryID(hex: v.prev), timestamp: v.timestamp, bodyType: v.bodyType, bodyBytes: body)
        #expect(Hex.encode(Entry.signingDomain + e.signedBytes) == v.signingInputHex)
        #expect(Hex.encode(e.signature) == v.signature)
        #expect(Hex.encode(e.bytes) == v.entryHex)
        #expect(e.id.hex == v.id)
        // And the other way: the bytes decode, verify and (for structured bodies) give the inputs back.
        let decoded = try Entry(decoding: Hex.decode(v.entryHex)!)
        let back = try decoded.validateIntrinsic()
        if let spec = v.body, v.bodyType != BodyType.keyRotation {
            #expect(back == (try spec.body(author: signer.publicKey, type: v.bodyType)))
        }
    }

    @Test("the vector chain links and applies", arguments: [0])
    func chainApplies(_: Int) throws {
        var r = Replica()
        for v in Self.entryVectors {
            let outcome = r.receive(try Entry(decoding: Hex.decode(v.entryHex)!))
            #expect(outcome == .applied(released: 0), "\(v.name)")
        }
        // The retraction in the chain retracted the MD5 signal; the rotation was recorded.
        #expect(r.state.signals.values.filter { $0.retraction != nil }.map(\.signal.kind) == [.md5])
        #expect(r.state.rotations.count == 1)
    }

    @Test("invalid entries fail with the stated error and field", arguments: invalidVectors)
    func invalid(v: InvalidVector) {
        do {
            let e = try Entry(decoding: Hex.decode(v.entryHex)!)
            _ = try e.validateIntrinsic()
            Issue.record("\(v.name) was accepted")
        } catch {
            #expect(error.code.rawValue == v.error, "\(v.name): \(error)")
            #expect(error.field == v.field, "\(v.name): \(error)")
        }
    }

    @Test("sealed entries open for recipients only")
    func sealed() throws {
        for v in try VectorFiles.load("sealed-entries.json", as: SealedVectorFile.self).vectors {
            let e = try Entry(decoding: Hex.decode(v.entryHex)!)
            #expect(e.id.hex == v.id)
            guard case .sealed(let env) = try e.validateIntrinsic() else { Issue.record("\(v.name) is not sealed"); continue }
            for seed in v.recipientSeeds {
                let inner = env.open(with: try Signer(seed: Hex.decode(seed)!), author: e.author, seq: e.seq)
                #expect(inner?.typeCode == v.innerBodyType)
                #expect(inner.map { Hex.encode(BodyCodec.encode($0)) } == v.innerBodyHex)
            }
            #expect(env.open(with: try Signer(seed: Hex.decode(v.nonRecipientSeed)!), author: e.author, seq: e.seq) == nil)
        }
    }

    @Test("member IDs encode, parse alternate spellings, and catch typos")
    func memberIDs() throws {
        let file = try VectorFiles.load("member-ids.json", as: MemberIDVectorFile.self)
        for v in file.valid {
            let key = try PublicKey(bytes: Hex.decode(v.publicKey)!)
            #expect(MemberID(publicKey: key).description == v.memberID)
            for alt in [v.memberID] + v.alternateSpellings { #expect(try MemberID(parsing: alt).publicKey == key) }
        }
        for v in file.invalid {
            #expect(throws: CoalitionError.self, "\(v.why)") { try MemberID(parsing: v.text) }
        }
    }

    @Test("the merge vector gives the stated outcomes, signals and digest")
    func merge() throws {
        let file = try VectorFiles.load("merge.json", as: MergeVectorFile.self)
        var r = Replica()
        for (hex, expected) in zip(file.entries, file.outcomes) {
            let e = try Entry(decoding: Hex.decode(hex)!)
            #expect(r.receive(e).vectorLabel == expected.outcome)
        }
        #expect(r.state.digestLines() == file.digestLines)
        #expect(Hex.encode(r.state.digest()) == file.digest)
        for s in file.signals {
            let id = try EntryID(hex: s.id)
            #expect(r.state.signals[id]?.retraction?.entry.hex == s.retractedBy)
            #expect(r.state.verdict(for: id).rawValue == s.verdict)
        }
        #expect(r.state.equivocators.map { Hex.encode($0.bytes) }.sorted() == file.equivocators)
    }
}

extension VectorTests {
    @Test("each merge scenario gives the stated outcomes, signals and digest")
    func scenarios() throws {
        let file = try VectorFiles.load("scenarios.json", as: ScenarioVectorFile.self)
        #expect(file.scenarios.count >= 6)
        for sc in file.scenarios {
            var r = Replica(reader: try sc.readerSeed.map { try Signer(seed: Hex.decode($0)!) })
            for (hex, expected) in zip(sc.entries, sc.outcomes) {
                #expect(r.receive(try Entry(decoding: Hex.decode(hex)!)).vectorLabel == expected.outcome, "\(sc.name)")
            }
            #expect(r.state.digestLines() == sc.digestLines, "\(sc.name)")
            #expect(Hex.encode(r.state.digest()) == sc.digest, "\(sc.name)")
            for s in sc.signals {
                let id = try EntryID(hex: s.id)
                #expect(r.state.signals[id]?.retraction?.entry.hex == s.retractedBy, "\(sc.name)")
                #expect(r.state.verdict(for: id).rawValue == s.verdict, "\(sc.name)")
            }
            #expect(r.state.equivocators.map { Hex.encode($0.bytes) }.sorted() == sc.equivocators, "\(sc.name)")
        }
    }
}

extension EntryVector: CustomTestStringConvertible { var testDescription: String { name } }
extension InvalidVector: CustomTestStringConvertible { var testDescription: String { name } }

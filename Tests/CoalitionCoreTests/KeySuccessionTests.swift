import CoalitionCore
import CoalitionCrypto
import Testing

@Suite struct KeySuccessionTests {
    let a = Signer(), b = Signer(), c = Signer(), x = Signer()

    func rotation(_ from: Signer, _ to: Signer, seq: UInt64 = 1, prev: EntryID = .zero) throws -> Entry {
        try Entry.sign(by: from, seq: seq, prev: prev, timestamp: 1, body: .keyRotation(KeyRotation(from: from.publicKey, to: to)))
    }

    @Test func rotationsAreFollowedToTheNewestKey() {
        var s = KeySuccession()
        #expect(s.current(of: a.publicKey) == a.publicKey)
        s.insert(author: b.publicKey, successor: c.publicKey)
        s.insert(author: a.publicKey, successor: b.publicKey)
        #expect(s.current(of: a.publicKey) == c.publicKey)
        #expect(s.ancestors(of: c.publicKey) == [b.publicKey, a.publicKey])
        #expect(s.lineage(of: [a.publicKey]) == [a.publicKey, b.publicKey, c.publicKey])
        #expect(s.isRetired(a.publicKey) && s.isRetired(b.publicKey) && !s.isRetired(c.publicKey))
        #expect(s.root(of: c.publicKey, in: [a.publicKey]) == a.publicKey)
        #expect(s.root(of: x.publicKey, in: [a.publicKey]) == nil)
    }

    @Test func aKeyThatRotatedTwiceIsContestedAndNeitherSuccessorIsFollowed() {
        let s = KeySuccession([(author: a.publicKey, successor: b.publicKey), (author: a.publicKey, successor: x.publicKey)])
        #expect(s.isContested(a.publicKey) && s.contested == [a.publicKey])
        #expect(s.current(of: a.publicKey) == a.publicKey)
        #expect(s.lineage(of: [a.publicKey]) == [a.publicKey])
        #expect(s.ancestors(of: b.publicKey).isEmpty)
    }

    @Test func aCycleEnds() {
        let s = KeySuccession([(author: a.publicKey, successor: b.publicKey), (author: b.publicKey, successor: a.publicKey)])
        #expect(s.lineage(of: [a.publicKey]) == [a.publicKey, b.publicKey])
        _ = s.current(of: a.publicKey)
        #expect(s.ancestors(of: a.publicKey).count <= 2)
    }

    @Test func aProofIsAChainOfVerifiedRotationsEndingAtTheKey() throws {
        let ab = try rotation(a, b), bc = try rotation(b, c)
        let proven = try #require(KeySuccession.proven(by: [ab.bytes, bc.bytes], endingAt: c.publicKey))
        #expect(proven.from == a.publicKey)
        #expect(proven.rotations.current(of: a.publicKey) == c.publicKey)

        #expect(KeySuccession.proven(by: [ab.bytes, bc.bytes], endingAt: x.publicKey) == nil, "it must end at the presented key")
        #expect(KeySuccession.proven(by: [bc.bytes, ab.bytes], endingAt: c.publicKey) == nil, "out of order")
        #expect(KeySuccession.proven(by: [], endingAt: c.publicKey) == nil)
        var tampered = ab.bytes
        tampered[tampered.count - 1] ^= 1
        #expect(KeySuccession.proven(by: [tampered], endingAt: b.publicKey) == nil, "a bad signature")
        let plain = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: 1, body: .retract(try Retraction(target: ab.id, reason: "x")))
        #expect(KeySuccession.proven(by: [plain.bytes], endingAt: b.publicKey) == nil, "not a rotation")
        #expect(KeySuccession.proven(by: [[1, 2, 3]], endingAt: b.publicKey) == nil, "not an entry")
    }
}

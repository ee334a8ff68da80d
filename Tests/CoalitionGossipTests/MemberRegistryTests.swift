import CoalitionCore
import CoalitionCrypto
@testable import CoalitionGossip
import NIOSSL
import Testing

@Suite struct MemberRegistryTests {
    let me = Signer(), a = Signer(), a2 = Signer(), stranger = Signer(), s2 = Signer()

    @Test func aSuccessorTakesItsMembersPlaceAndTheRetiredKeyMayNotConnect() {
        let r = MemberRegistry(selfKey: me.publicKey, members: [a.publicKey: "photo-app"])
        #expect(r.isMember(a.publicKey) && !r.isMember(a2.publicKey) && r.isUnknown(a2.publicKey))
        let retired = r.learn(KeySuccession([(author: a.publicKey, successor: a2.publicKey)]))
        #expect(retired == [a.publicKey])
        #expect(r.isMember(a2.publicKey) && !r.isMember(a.publicKey))
        #expect(r.refusal(of: a.publicKey)?.contains("rotated") == true)
        #expect(r.current(of: a.publicKey) == a2.publicKey)
        #expect(r.name(of: a2.publicKey) == "photo-app")
        #expect(r.acceptedAuthors == [me.publicKey, a.publicKey, a2.publicKey], "the retired key's history is still accepted")
        r.replace(with: [a.publicKey: "photo-app"])
        #expect(r.isMember(a2.publicKey), "a reload keeps the rotations")
    }

    @Test func aProofMustStartAtAKnownKey() {
        let r = MemberRegistry(selfKey: me.publicKey, members: [a.publicKey: "photo-app"])
        #expect(!r.learn(proof: KeySuccession([(author: stranger.publicKey, successor: s2.publicKey)]), from: stranger.publicKey))
        #expect(r.succession.successors.isEmpty && !r.isMember(s2.publicKey))
        #expect(r.learn(proof: KeySuccession([(author: a.publicKey, successor: a2.publicKey)]), from: a.publicKey))
        #expect(r.isMember(a2.publicKey))
    }

    @Test func aContestedKeyIsFollowedByNeitherSuccessor() {
        let r = MemberRegistry(selfKey: me.publicKey, members: [a.publicKey: "photo-app"])
        r.learn(KeySuccession([(author: a.publicKey, successor: a2.publicKey), (author: a.publicKey, successor: stranger.publicKey)]))
        #expect(!r.isMember(a2.publicKey) && !r.isMember(stranger.publicKey) && !r.isMember(a.publicKey))
        #expect(r.refusal(of: a.publicKey)?.contains("contested") == true)
    }

    @Test func ownRotationKeepsTheOldKeyAsAnAcceptedAuthor() {
        let r = MemberRegistry(selfKey: me.publicKey, members: [a.publicKey: "photo-app"])
        let next = Signer()
        r.learn(KeySuccession([(author: me.publicKey, successor: next.publicKey)]))
        r.adoptSelfKey(next.publicKey)
        #expect(r.selfKey == next.publicKey && r.name(of: me.publicKey) == "self")
        #expect(r.acceptedAuthors?.isSuperset(of: [me.publicKey, next.publicKey]) == true)
    }

    @Test func theCertificateCarriesTheRotationEntries() throws {
        let entry = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: 1, body: .keyRotation(KeyRotation(from: a.publicKey, to: a2)))
        let identity = try TLSIdentity(signer: a2, name: "photo-app", rotationProof: [entry.bytes])
        #expect(TLSIdentity.memberKey(of: identity.certificate) == a2.publicKey)
        #expect(TLSIdentity.rotationProof(of: identity.certificate) == [entry.bytes])
        #expect(TLSIdentity.rotationProof(of: try TLSIdentity(signer: a, name: "photo-app").certificate).isEmpty)
    }
}

import CoalitionCore
import CoalitionCrypto
import Testing
@testable import CoalitionSync

@Suite struct SyncPlannerTests {
    static let authors = (1...3).map { try! Signer(seed: [UInt8](repeating: UInt8($0), count: 32)).publicKey }.sorted()
    static func id(_ n: UInt8) -> EntryID { try! EntryID(bytes: [UInt8](repeating: n, count: 32)) }
    static func head(_ a: Int, _ seq: UInt64, _ id: UInt8, count: Int? = nil, equivocating: Bool = false) -> LocalHead {
        LocalHead(author: authors[a], seq: seq, head: Self.id(id), entryCount: count ?? Int(seq), equivocating: equivocating)
    }

    @Test func inSyncPlansNothing() {
        let local = [Self.head(0, 10, 1), Self.head(1, 3, 2)]
        let plan = SyncPlanner.plan(local: local, peer: HeadsSummary(local: local))
        #expect(plan.ranges.isEmpty)
        #expect(plan.peerAhead == 0)
        #expect(plan.peerSeqs == [Self.authors[0]: 10, Self.authors[1]: 3])
    }

    @Test func aPeerBehindGetsTheRestAfterItsHead() {
        let local = [Self.head(0, 10, 1)]
        let plan = SyncPlanner.plan(local: local, peer: HeadsSummary(local: [Self.head(0, 4, 9)]))
        #expect(plan.ranges == [SendRange(author: Self.authors[0], from: 4, to: 10, peerHeadPrefix: HeadsSummary.prefix(Self.id(9).bytes))])
        #expect(plan.entriesToSend == 7)
        #expect(plan.peerSeqs[Self.authors[0]] == 4)
    }

    @Test func anAuthorThePeerLacksIsSentWhole() {
        let plan = SyncPlanner.plan(local: [Self.head(0, 3, 1), Self.head(2, 5, 2)], peer: HeadsSummary(local: [Self.head(0, 3, 1)]))
        #expect(plan.ranges == [SendRange(author: Self.authors[2], from: 1, to: 5)])
    }

    @Test func aPeerAheadIsCountedNotSentTo() {
        let plan = SyncPlanner.plan(local: [Self.head(0, 3, 1)], peer: HeadsSummary(local: [Self.head(0, 8, 4), Self.head(1, 6, 5)]))
        #expect(plan.ranges.isEmpty)
        #expect(plan.peerAhead == 5 + 6)
    }

    @Test func sameSeqDifferentHeadSendsOurHeadAsForkEvidence() {
        let plan = SyncPlanner.plan(local: [Self.head(0, 7, 1)], peer: HeadsSummary(local: [Self.head(0, 7, 2)]))
        #expect(plan.ranges == [SendRange(author: Self.authors[0], from: 7, to: 7)])
    }

    @Test func equivocatorsAreComparedByCountAndSentWhole() {
        let mine = Self.head(0, 7, 1, count: 9, equivocating: true)
        #expect(SyncPlanner.plan(local: [mine], peer: HeadsSummary(local: [mine])).ranges.isEmpty)
        let theirs = Self.head(0, 7, 1, count: 8, equivocating: true)
        #expect(SyncPlanner.plan(local: [mine], peer: HeadsSummary(local: [theirs])).ranges
                == [SendRange(author: Self.authors[0], from: 1, to: 7, allBranches: true)])
        // The peer knows of a fork we have not seen: it sends us its branches, we need not send.
        let plain = Self.head(0, 7, 1)
        #expect(SyncPlanner.plan(local: [plain], peer: HeadsSummary(local: [theirs])).ranges
                == [SendRange(author: Self.authors[0], from: 1, to: 7, allBranches: true)])
    }

    @Test func anAmbiguousPrefixFallsBackToTheWholeChain() {
        let local = [Self.head(0, 4, 1)]
        let p = HeadsSummary.prefix(Self.authors[0].bytes)
        let peer = HeadsSummary(authors: [.init(authorPrefix: p, seq: 4, headPrefix: 1), .init(authorPrefix: p, seq: 2, headPrefix: 3)])
        #expect(SyncPlanner.plan(local: local, peer: peer).ranges == [SendRange(author: Self.authors[0], from: 1, to: 4)])
    }

    @Test func knowledgeFiltersPushesAndCountsWhatIsBehind() {
        var k = PeerKnowledge()
        k.note(author: Self.authors[0], seq: 5)
        k.note(author: Self.authors[0], seq: 3)
        #expect(k.seq(of: Self.authors[0]) == 5)
        #expect(!k.mayLack(author: Self.authors[0], seq: 5))
        #expect(k.mayLack(author: Self.authors[0], seq: 6))
        #expect(k.behind(local: [Self.head(0, 9, 1), Self.head(1, 2, 2)]) == 4 + 2)
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionTestSupport
import Testing

/// The merge laws, checked on random entry sets: delivery order, duplicates and grouping never
/// change the state of replicas with the same read rights.
@Suite("CRDT properties")
struct CRDTPropertyTests {
    static let seeds: [UInt64] = Array(1...24)

    @Test("any delivery order with duplicates gives the same state", arguments: seeds)
    func orderAndDuplicatesDoNotMatter(seed: UInt64) {
        var gen = EntrySetGenerator(seed: seed)
        let set = gen.generate()
        var rng = SeededRandom(seed: seed &* 7919)
        var digests: [[UInt8]] = []
        for _ in 0..<3 {
            var replica = Replica(reader: gen.reader)
            var delivery = set.all + set.valid.filter { _ in Bool.random(using: &rng) }  // duplicates
            delivery.shuffle(using: &rng)
            for e in delivery { replica.receive(e) }
            #expect(replica.pendingCount == 0)
            #expect(replica.entries.count == set.valid.count)
            digests.append(replica.state.digest())
        }
        #expect(digests[0] == digests[1])
        #expect(digests[1] == digests[2])
    }

    @Test("merge is commutative, associative and idempotent", arguments: seeds)
    func mergeLaws(seed: UInt64) {
        var gen = EntrySetGenerator(seed: seed)
        let set = gen.generate()
        var rng = SeededRandom(seed: seed ^ 0xABCDEF)
        // Three replicas that each saw a random subset.
        func partial() -> Replica {
            var r = Replica(reader: gen.reader)
            for e in set.all.shuffled(using: &rng) where Int.random(in: 0..<3, using: &rng) > 0 { r.receive(e) }
            return r
        }
        let a = partial(), b = partial(), c = partial()
        func merged(_ x: Replica, _ y: Replica) -> Replica { var m = x; m.merge(y); return m }
        // Commutative.
        #expect(merged(a, b).state.digest() == merged(b, a).state.digest())
        // Associative.
        #expect(merged(merged(a, b), c).state.digest() == merged(a, merged(b, c)).state.digest())
        // Idempotent.
        #expect(merged(a, a).state.digest() == a.state.digest())
        let abc = merged(merged(a, b), c)
        #expect(merged(abc, abc).state.digest() == abc.state.digest())
    }

    @Test("invalid entries are rejected by every replica and never change the state", arguments: seeds.prefix(8))
    func invalidEntriesAreRejected(seed: UInt64) {
        var gen = EntrySetGenerator(seed: seed)
        let set = gen.generate()
        var clean = Replica(reader: gen.reader)
        for e in set.valid { clean.receive(e) }
        var dirty = Replica(reader: gen.reader)
        for e in set.valid { dirty.receive(e) }
        for e in set.invalid {
            guard case .rejected = dirty.receive(e) else { Issue.record("invalid entry \(e.id) was not rejected"); continue }
        }
        #expect(clean.state.digest() == dirty.state.digest())
    }

    @Test("relays store sealed entries they cannot read, and their chains stay gap-free", arguments: seeds.prefix(8))
    func relaysKeepChainsWhole(seed: UInt64) {
        var gen = EntrySetGenerator(seed: seed)
        let set = gen.generate()
        var relay = Replica(reader: gen.outsider)
        var recipient = Replica(reader: gen.reader)
        for e in set.valid.shuffled() { relay.receive(e); recipient.receive(e) }
        #expect(relay.entries.count == set.valid.count)
        #expect(relay.pendingCount == 0)
        let sealed = set.valid.filter { $0.bodyType == BodyType.sealed }
        #expect(relay.state.unreadable.count == sealed.count)
        // The recipient reads exactly those addressed to it.
        let addressed = sealed.filter { e in
            guard case .sealed(let env) = try! e.decodeBody() else { return false }
            return env.isAddressed(to: gen.reader.publicKey)
        }
        #expect(recipient.state.unreadable.count == sealed.count - addressed.count)
        // No restricted signal leaks to the relay.
        #expect(!relay.state.signals.values.contains { $0.restricted })
    }

    @Test("forks mark the author as equivocating on every replica")
    func equivocationIsFlagged() throws {
        let author = try Signer(seed: [UInt8](repeating: 9, count: 32))
        let s1 = try Signal(kind: .md5, value: String(repeating: "a", count: 32), category: "violence")
        let s2 = try Signal(kind: .md5, value: String(repeating: "b", count: 32), category: "violence")
        let a = try Entry.sign(by: author, seq: 1, prev: .zero, timestamp: 1, body: .publish(s1))
        let b = try Entry.sign(by: author, seq: 1, prev: .zero, timestamp: 1, body: .publish(s2))
        var r1 = Replica(), r2 = Replica()
        r1.receive(a); r1.receive(b)
        r2.receive(b); r2.receive(a)
        #expect(r1.state.equivocators == [author.publicKey])
        #expect(r1.state.digest() == r2.state.digest())
        #expect(r1.state.signals.count == 2)  // both kept as proof
    }
}

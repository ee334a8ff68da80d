import CoalitionCrypto
import CoalitionTestSupport
import Testing

@Suite("Crypto")
struct CryptoTests {
    let seed = [UInt8](0..<32)

    @Test("a seed derives the RFC 8032 key and deterministic signatures")
    func deterministicKeys() throws {
        // RFC 8032 §7.1, TEST 1.
        let rfcSeed = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!
        let signer = try Signer(seed: rfcSeed)
        #expect(signer.publicKey.description == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let sig = signer.sign([UInt8]())
        #expect(Hex.encode(sig) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(signer.publicKey.isValidSignature(sig, for: [UInt8]()))
    }

    @Test("verification rejects a changed message, a changed signature and a short signature")
    func strictVerification() throws {
        let signer = try Signer(seed: seed)
        let message = Array("coalition".utf8)
        var sig = signer.sign(message)
        #expect(signer.publicKey.isValidSignature(sig, for: message))
        #expect(!signer.publicKey.isValidSignature(sig, for: Array("coalitioN".utf8)))
        sig[10] ^= 1
        #expect(!signer.publicKey.isValidSignature(sig, for: message))
        #expect(!signer.publicKey.isValidSignature(sig.dropLast(), for: message))
    }

    @Test("keys of the wrong length are refused with a clear error")
    func keyLengths() {
        #expect(throws: CryptoError.self) { try Signer(seed: [UInt8](repeating: 1, count: 31)) }
        do {
            _ = try PublicKey(bytes: [UInt8](repeating: 1, count: 33))
            Issue.record("accepted a 33-byte key")
        } catch {
            #expect(error.code == .invalidKeyLength)
        }
    }

    @Test("a content key sealed to a member opens only with that member's key")
    func sealedKeys() throws {
        let alice = try Signer(seed: seed), bob = try Signer(seed: [UInt8](repeating: 9, count: 32))
        let key = SecureRandom.bytes(ContentCipher.keyByteCount)
        let sealed = try ContentCipher.sealKey(key, to: alice.publicKey)
        #expect(sealed.count == ContentCipher.sealedKeyByteCount)
        #expect(try ContentCipher.openKey(sealed, with: alice) == key)
        #expect(throws: CryptoError.self) { try ContentCipher.openKey(sealed, with: bob) }
    }

    @Test("the body cipher authenticates ciphertext and associated data")
    func aead() throws {
        let key = SecureRandom.bytes(ContentCipher.keyByteCount), nonce = SecureRandom.bytes(ContentCipher.nonceByteCount)
        let ct = try ContentCipher.encrypt(Array("restricted".utf8), key: key, nonce: nonce, associatedData: [1, 2])
        #expect(try ContentCipher.decrypt(ct, key: key, nonce: nonce, associatedData: [1, 2]) == Array("restricted".utf8))
        #expect(throws: CryptoError.self) { try ContentCipher.decrypt(ct, key: key, nonce: nonce, associatedData: [1, 3]) }
        var tampered = ct
        tampered[0] ^= 0x80
        #expect(throws: CryptoError.self) { try ContentCipher.decrypt(tampered, key: key, nonce: nonce, associatedData: [1, 2]) }
    }

    @Test("wiping zeroes secret bytes, and the signer never prints its secret")
    func secretsStaySecret() throws {
        var secret = [UInt8](repeating: 0xAB, count: 32)
        Memory.wipe(&secret)
        #expect(secret == [UInt8](repeating: 0, count: 32))
        let signer = try Signer(seed: seed)
        var exported = signer.exportSeed()
        #expect(exported == seed)
        #expect(!"\(signer)".contains(Hex.encode(seed)))
        Memory.wipe(&exported)
    }

    @Test("SHA-256 matches the FIPS 180-2 test vector, incrementally too")
    func sha256() {
        #expect(Hex.encode(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var h = SHA256.Hasher()
        h.update(Array("a".utf8)); h.update(Array("bc".utf8))
        #expect(Hex.encode(h.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Two blocks, and a collection without contiguous storage.
        let twoBlocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        #expect(Hex.encode(SHA256.hash(Array(twoBlocks.utf8))) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Hex.encode(SHA256.hash(twoBlocks.utf8.lazy.map { $0 })) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var empty = SHA256.Hasher()
        empty.update([UInt8]())
        #expect(Hex.encode(empty.finalize()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("the 64-bit prefix of SHA-256(first ‖ separator ‖ second) is the digest's first 8 bytes, big-endian")
    func sha256Prefix() {
        let first = Array("url".utf8), second = Array("https://example.com/a".utf8)
        let digest = SHA256.hash(first + [0] + second)
        let prefix = first.withUnsafeBytes { f in second.withUnsafeBytes { s in SHA256.prefix64(f, separator: 0, s) } }
        #expect(prefix == digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) })
    }

    @Test("32 bytes held inline: equal only when every byte is, ordered as the bytes are, and read back unchanged")
    func bytes32() throws {
        let a = (0..<32).map { UInt8($0) }
        let x = try #require(Bytes32(a))
        #expect(x.array == a)
        #expect(Bytes32(a[...]) == x && Bytes32(AnyCollection(a)) == x)
        #expect(Bytes32(Array(a.prefix(31))) == nil && Bytes32(a + [0]) == nil)
        #expect(x.littleEndianPrefix == 0x0706050403020100 && x.bigEndianPrefix == 0x0001020304050607)
        #expect(Bytes32.zero.array == [UInt8](repeating: 0, count: 32))
        for i in 0..<32 {
            var b = a
            b[i] ^= 0x80
            let y = try #require(Bytes32(b))
            #expect(x != y, "byte \(i)")
            #expect((x < y) == a.lexicographicallyPrecedes(b) && (y < x) == b.lexicographicallyPrecedes(a), "byte \(i)")
        }
        // Seeded random pairs sharing a prefix of every length (so that every word and every
        // byte within a word decides some of them) order, compare and hash as the arrays do.
        var generator = SeededRandom(seed: 0x0B7E_5320)
        for n in 0..<2_000 {
            let shared = n % 33
            let prefix = (0..<shared).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let r = prefix + (shared..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let s = prefix + (shared..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let (p, q) = (Bytes32(r)!, Bytes32(s)!)
            #expect((p < q) == r.lexicographicallyPrecedes(s) && (q < p) == s.lexicographicallyPrecedes(r), "pair \(n)")
            #expect((p == q) == (r == s) && (p == q ? p.hashValue == q.hashValue : true), "pair \(n)")
            #expect(p.array == r && p.bigEndianPrefix == r.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }, "pair \(n)")
        }
        #expect(!(x < x))
        #expect(Set([x, Bytes32(a)!, .zero]).count == 2)
    }

    @Test("hex decoding refuses odd lengths and non-hex characters", arguments: ["abc", "zz", "0g"])
    func badHex(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }
}

@Suite struct FailureShapeTests {
    struct Disk: Error, CustomStringConvertible { var description: String { "SQLITE_FULL" } }

    @Test("one error shape: code, message, field and underlying cause; equality by code; descriptions by family")
    func shape() {
        let inner = CryptoError(.decryptionFailed, "the ciphertext did not authenticate", underlying: Disk())
        #expect(inner.description == "decryptionFailed: the ciphertext did not authenticate", "crypto failures lead with the code")
        #expect(inner.detailedDescription == "decryptionFailed: the ciphertext did not authenticate (caused by: SQLITE_FULL)")
        #expect(inner == CryptoError(.decryptionFailed, "another message"))
        #expect(inner != CryptoError(.invalidKey, "the ciphertext did not authenticate"))
        let outer = Failure<CryptoErrorCode>(.invalidInput, "sealing failed", field: "recipients", underlying: inner)
        #expect(outer.description == "recipients: sealing failed", "a field leads when there is one")
        #expect(outer.detailedDescription.hasSuffix("(caused by: decryptionFailed: the ciphertext did not authenticate (caused by: SQLITE_FULL))"))
        #expect((outer.underlying as? CryptoError)?.code == .decryptionFailed)
    }
}

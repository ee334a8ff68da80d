@testable import CoalitionCore
import CoalitionCrypto
import Foundation

/// Builds the contents of `Protocol/test-vectors/`. Run with `COALITION_WRITE_VECTORS=1 swift test
/// --filter VectorTests` to rewrite the files; otherwise `VectorTests` checks the files against the code.
enum VectorGenerator {
    static func seed(_ tag: UInt8) -> [UInt8] { (0..<32).map { UInt8($0) &+ tag &* 32 } }
    static let t0: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

    /// A raw, signed entry with any header values (for invalid vectors that the builder refuses).
    static func raw(_ signer: Signer, version: UInt8 = 1, seq: UInt64, prev: [UInt8], timestamp: Int64, type: UInt16, body: [UInt8], bodyLength: UInt32? = nil) -> [UInt8] {
        var w = ByteWriter()
        w.u8(version); w.raw(signer.publicKey.bytes); w.u64(seq); w.raw(prev); w.i64(timestamp); w.u16(type)
        w.u32(bodyLength ?? UInt32(body.count)); w.raw(body)
        return w.bytes + signer.sign(Entry.signingDomain + w.bytes)
    }

    static func entryVector(_ name: String, _ description: String, signer: Signer, seq: UInt64, prev: EntryID, timestamp: Int64,
                            type: UInt16, spec: BodySpec?, bodyHex: [UInt8]? = nil) throws -> (EntryVector, Entry) {
        let body = try bodyHex ?? BodyCodec.encode(spec!.body(author: signer.publicKey, type: type))
        let e = try Entry.sign(by: signer, seq: seq, prev: prev, timestamp: timestamp, bodyType: type, bodyBytes: body)
        let v = EntryVector(
            name: name, description: description, authorSeed: Hex.encode(signer.exportSeed()),
            authorPublicKey: Hex.encode(signer.publicKey.bytes), authorMemberID: MemberID(publicKey: signer.publicKey).description,
            seq: seq, prev: prev.hex, timestamp: timestamp, bodyType: type, body: bodyHex == nil ? spec : nil,
            bodyHex: Hex.encode(body), signingInputHex: Hex.encode(Entry.signingDomain + e.signedBytes),
            signature: Hex.encode(e.signature), entryHex: Hex.encode(e.bytes), id: e.id.hex)
        return (v, e)
    }

    static func entries() throws -> EntryVectorFile {
        let a = try Signer(seed: seed(1))
        var out: [EntryVector] = []
        var prev = EntryID.zero
        var ids: [EntryID] = []
        func add(_ name: String, _ d: String, _ type: UInt16, _ spec: BodySpec?, raw: [UInt8]? = nil) throws {
            let (v, e) = try entryVector(name, d, signer: a, seq: UInt64(out.count + 1), prev: prev, timestamp: t0 + Int64(out.count) * 1000,
                                         type: type, spec: spec, bodyHex: raw)
            out.append(v); prev = e.id; ids.append(e.id)
        }
        let pdq = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
        try add("publish-pdq-minimal", "First entry of a chain (prev all zero): a PDQ signal with only the required fields.", BodyType.publish,
                BodySpec(kind: "pdq", value: pdq, category: "violence", severity: 2, tlp: 1))
        try add("publish-pdq-all-fields", "Every optional field: labels (sorted by bytes), expiresAt, a Unicode note and a quality score.", BodyType.publish,
                BodySpec(kind: "pdq", value: "0000000000000000ffffffffffffffff0123456789abcdef0123456789abcdef", category: "violence/incitement_violence_hatred",
                         severity: 3, tlp: 2, labels: ["gore", "re-upload", "émeute"], expiresAt: t0 + 86_400_000 * 90,
                         note: "Re-uploads seen on 3 platforms — “quoted” ✓ 🚨", quality: 87))
        try add("publish-md5", "An MD5 file hash.", BodyType.publish,
                BodySpec(kind: "md5", value: "d41d8cd98f00b204e9800998ecf8427e", category: "scams_and_fraud/phishing", severity: 1, tlp: 0))
        try add("publish-sha256", "A SHA-256 file hash.", BodyType.publish,
                BodySpec(kind: "sha256", value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                         category: "risk_for_public_security/tvec_attacker_manifesto", severity: 3, tlp: 2))
        try add("publish-url", "A canonical URL (canonicalisation rules: SPEC §5.7).", BodyType.publish,
                BodySpec(kind: "url", value: "https://scam.example.com/verify?acct=1&x=%C3%A9", category: "scams_and_fraud/phishing", severity: 2, tlp: 1))
        try add("publish-trend-hashtag", "A hashtag trend with a precomposed (NFC) accented letter.", BodyType.publish,
                BodySpec(kind: "trend", value: "#défiminuit", category: "protection_of_minors/unsafe_challenges", severity: 3, tlp: 0,
                         labels: ["minors"]))
        try add("publish-trend-phrase-emoji", "A trend phrase with an emoji and CJK text.", BodyType.publish,
                BodySpec(kind: "trend", value: "🔥 fire challenge チャレンジ", category: "protection_of_minors/unsafe_challenges", severity: 2, tlp: 0))
        try add("publish-unknown-kind", "A kind this version does not know: valid, stored and relayed as is.", BodyType.publish,
                BodySpec(kind: "audio-fp", value: "af1:0a1b2c3d", category: "violence", severity: 1, tlp: 1))
        try add("retract", "Retracts the MD5 signal published at seq 3.", BodyType.retract,
                BodySpec(target: ids[2].hex, reason: "false positive: this is the hash of an empty file"))
        try add("opinion-confirm", "Confirms the first signal.", BodyType.opinion, BodySpec(target: ids[0].hex, stance: 1))
        try add("opinion-dispute-with-note", "Disputes the URL signal, with a note.", BodyType.opinion,
                BodySpec(note: "landing page is a legitimate bank", target: ids[4].hex, stance: 2))
        try add("opinion-seen", "Marks a signal as seen.", BodyType.opinion, BodySpec(target: ids[1].hex, stance: 3))
        try add("unknown-body-type", "Body type 4096 is not defined in version 1: the entry is valid and opaque.", 4096, nil, raw: [0xde, 0xad, 0xbe, 0xef])
        var pub = ByteWriter()
        pub.field(1, text: "md5"); pub.field(2, text: "0123456789abcdef0123456789abcdef"); pub.field(3, text: "violence")
        pub.field(4, u8: 1); pub.field(5, u8: 1); pub.field(200, text: "a field from a future version")
        try add("publish-with-unknown-field", "A publish body with tag 200, unknown in version 1: kept (it is signed) and ignored.", BodyType.publish, nil, raw: pub.bytes)
        try add("key-rotation", "Rotates to the key derived from successorSeed; it closes this chain.", BodyType.keyRotation,
                BodySpec(successorSeed: Hex.encode(seed(7))))
        return EntryVectorFile(description: "One chain of author A (seq 1 to \(out.count)): every body type. Rebuild each entry from authorSeed, the header fields and body (or bodyHex) and compare bytes, signature and id.", vectors: out)
    }

    static func invalid() throws -> InvalidVectorFile {
        let c = try Signer(seed: seed(3))
        let zero = [UInt8](repeating: 0, count: 32)
        var v: [InvalidVector] = []
        func add(_ name: String, _ d: String, _ bytes: [UInt8], _ error: CoalitionError.Code, _ field: String?) {
            v.append(InvalidVector(name: name, description: d, entryHex: Hex.encode(bytes), error: error.rawValue, field: field))
        }
        func publish(_ edit: (inout ByteWriter) -> Void) -> [UInt8] { var w = ByteWriter(); edit(&w); return w.bytes }
        let good = publish { w in w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        let valid = raw(c, seq: 1, prev: zero, timestamp: t0, type: 1, body: good)
        var badSig = valid; badSig[badSig.count - 20] ^= 0x04
        add("bad-signature", "A valid entry with one signature bit flipped.", badSig, .badSignature, "signature")
        add("truncated", "A valid entry with its last byte cut off.", Array(valid.dropLast()), .malformedEntry, "entry")
        // §3.4 strict verification: S + ℓ satisfies the verification equation as well as S does,
        // and only the range check (S < ℓ) refuses it.
        let ell: [UInt8] = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]
        var malleable = valid
        var carry = 0
        for i in 0..<32 {
            let at = valid.count - 32 + i
            let sum = Int(valid[at]) + Int(ell[i]) + carry
            malleable[at] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        add("signature-s-plus-l", "A valid signature with S replaced by S + ℓ (non-canonical S).", malleable, .badSignature, "signature")
        // A small-order author key (the identity point's encoding): any signature is refused.
        var smallOrder = valid
        smallOrder.replaceSubrange(1..<33, with: [1] + [UInt8](repeating: 0, count: 31))
        add("small-order-author-key", "The author key is a small-order point (the identity, 0x01 then zeros).", smallOrder, .badSignature, "signature")
        add("trailing-byte", "A valid entry with one extra byte appended.", valid + [0], .malformedEntry, "entry")
        add("too-short", "Fewer bytes than a header and a signature.", Array(valid.prefix(100)), .malformedEntry, "entry")
        add("version-2", "Format version 2 is not defined.", raw(c, version: 2, seq: 1, prev: zero, timestamp: t0, type: 1, body: good), .malformedEntry, "version")
        add("seq-zero", "Sequence numbers start at 1.", raw(c, seq: 0, prev: zero, timestamp: t0, type: 1, body: good), .malformedEntry, "seq")
        add("first-entry-nonzero-prev", "Seq 1 must have an all-zero previous hash.", raw(c, seq: 1, prev: [UInt8](repeating: 1, count: 32), timestamp: t0, type: 1, body: good), .brokenChain, "prev")
        add("later-entry-zero-prev", "Seq > 1 must not have an all-zero previous hash.", raw(c, seq: 2, prev: zero, timestamp: t0, type: 1, body: good), .brokenChain, "prev")
        add("negative-timestamp", "Timestamps are milliseconds since 1970 and not negative.", raw(c, seq: 1, prev: zero, timestamp: -1, type: 1, body: good), .malformedEntry, "timestamp")
        add("body-length-mismatch", "The body length field disagrees with the entry size.", raw(c, seq: 1, prev: zero, timestamp: t0, type: 1, body: good, bodyLength: UInt32(good.count + 1)), .malformedEntry, "entry")
        func pubVariant(_ name: String, _ d: String, _ code: CoalitionError.Code, _ field: String?, _ edit: (inout ByteWriter) -> Void) {
            add(name, d, raw(c, seq: 1, prev: zero, timestamp: t0, type: 1, body: publish(edit)), code, field)
        }
        pubVariant("plaintext-red", "A TLP red signal sent in plaintext.", .malformedEntry, "tlp") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 4) }
        pubVariant("plaintext-amber-strict", "A TLP amber+strict signal sent in plaintext.", .malformedEntry, "tlp") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 3) }
        pubVariant("uppercase-hex", "Hash values are lowercase hex.", .malformedEntry, "value") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789ABCDEF0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("bad-hex", "A non-hex character in an MD5.", .malformedEntry, "value") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdefg123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("pdq-short", "A PDQ hash of 63 hex characters.", .malformedEntry, "value") { w in
            w.field(1, text: "pdq"); w.field(2, text: String(repeating: "a", count: 63)); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("missing-category", "category is required.", .malformedEntry, "category") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("bad-category", "Categories are lowercase [a-z0-9_] words, 'category' or 'category/keyword'.", .malformedEntry, "category") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "Violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("bad-kind", "Kind names are [a-z][a-z0-9_-]{0,31}.", .malformedEntry, "kind") { w in
            w.field(1, text: "PDQ!"); w.field(2, text: "x"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("severity-out-of-range", "Severity is 0–3.", .malformedEntry, "severity") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 9); w.field(5, u8: 1) }
        pubVariant("unsorted-labels", "Labels must be sorted by bytes and unique.", .malformedEntry, "labels") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1)
            w.field(6, texts: ["zeta", "alpha"]) }
        pubVariant("oversized-note", "A note of 1025 bytes; the limit is 1024.", .tooLarge, "note") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1)
            w.field(8, text: String(repeating: "n", count: 1025)) }
        pubVariant("invalid-utf8-note", "Text fields are strict UTF-8.", .malformedEntry, "note") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1)
            w.field(8, [0x66, 0xC3, 0x28]) }
        pubVariant("quality-on-md5", "Only pdq signals carry a quality score.", .malformedEntry, "quality") { w in
            w.field(1, text: "md5"); w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1)
            w.field(9, u8: 50) }
        pubVariant("descending-tags", "Body field tags must be strictly ascending.", .malformedEntry, "body") { w in
            w.field(2, text: "0123456789abcdef0123456789abcdef"); w.field(1, text: "md5"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("truncated-field", "A body field whose length runs past the body.", .malformedEntry, "body") { w in
            w.field(1, text: "md5"); w.u8(2); w.u32(100); w.raw(Array("0123".utf8)) }
        // The remaining body rules and limits of §7.1 and §10, one vector each.
        let md5 = "0123456789abcdef0123456789abcdef"
        func base(_ w: inout ByteWriter) { w.field(1, text: "md5"); w.field(2, text: md5); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("u8-field-two-bytes", "B4: severity is a u8 field of exactly 1 byte.", .malformedEntry, "severity") { w in
            w.field(1, text: "md5"); w.field(2, text: md5); w.field(3, text: "violence"); w.field(4, [0, 1]); w.field(5, u8: 1) }
        pubVariant("i64-field-four-bytes", "B4: expiresAt is an i64 field of exactly 8 bytes.", .malformedEntry, "expiresAt") { w in
            base(&w); w.field(7, [0, 0, 0, 1]) }
        pubVariant("nul-in-note", "B7: text fields contain no 0x00.", .malformedEntry, "note") { w in
            base(&w); w.field(8, Array("a".utf8) + [0] + Array("b".utf8)) }
        pubVariant("truncated-label-item", "B8: a label item whose length runs past the field.", .malformedEntry, "labels") { w in
            var list = ByteWriter(); list.u32(1); list.raw(Array("a".utf8)); list.u32(9); list.raw(Array("bc".utf8))
            base(&w); w.field(6, list.bytes) }
        pubVariant("thirty-three-labels", "B9: at most 32 labels.", .tooLarge, "labels") { w in
            base(&w); w.field(6, texts: (0..<33).map { String(format: "l%02d", $0) }) }
        pubVariant("oversized-label", "B5: a label of 65 bytes; the limit is 64.", .tooLarge, "labels") { w in
            base(&w); w.field(6, texts: [String(repeating: "l", count: 65)]) }
        pubVariant("oversized-kind", "B5: a kind of 33 bytes; the limit is 32.", .tooLarge, "kind") { w in
            w.field(1, text: String(repeating: "k", count: 33)); w.field(2, text: "v"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("oversized-value", "B5: a value of 2049 bytes; the limit is 2048.", .tooLarge, "value") { w in
            w.field(1, text: "x-other"); w.field(2, text: String(repeating: "v", count: 2049)); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("oversized-category", "B5: a category of 101 bytes; the limit is 100.", .tooLarge, "category") { w in
            w.field(1, text: "md5"); w.field(2, text: md5); w.field(3, text: String(repeating: "c", count: 101)); w.field(4, u8: 1); w.field(5, u8: 1) }
        pubVariant("tlp-five", "TLP is 0–4.", .malformedEntry, "tlp") { w in
            w.field(1, text: "md5"); w.field(2, text: md5); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 5) }
        pubVariant("quality-over-100", "A PDQ quality score is 0–100.", .malformedEntry, "quality") { w in
            w.field(1, text: "pdq"); w.field(2, text: String(repeating: "a", count: 64)); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1)
            w.field(9, u8: 101) }
        var retract = ByteWriter(); retract.field(1, [UInt8](repeating: 5, count: 32)); retract.field(2, text: "")
        add("retract-empty-reason", "A retraction needs a reason.", raw(c, seq: 1, prev: zero, timestamp: t0, type: 2, body: retract.bytes), .malformedEntry, "reason")
        var opinion = ByteWriter(); opinion.field(1, [UInt8](repeating: 5, count: 32)); opinion.field(2, u8: 7)
        add("opinion-bad-stance", "Stances are 1 (confirm), 2 (dispute) and 3 (seen).", raw(c, seq: 1, prev: zero, timestamp: t0, type: 3, body: opinion.bytes), .malformedEntry, "stance")
        let successor = try Signer(seed: seed(5))
        var rot = ByteWriter(); rot.field(1, successor.publicKey.bytes); rot.field(2, successor.sign(Array("something else".utf8)))
        add("rotation-bad-successor-signature", "The successor did not sign the rotation statement.", raw(c, seq: 1, prev: zero, timestamp: t0, type: 4, body: rot.bytes), .badSignature, "successorSignature")
        var selfRot = ByteWriter(); selfRot.field(1, c.publicKey.bytes); selfRot.field(2, c.sign(KeyRotation.statement(current: c.publicKey, successor: c.publicKey)))
        add("rotation-to-self", "A key cannot rotate to itself.", raw(c, seq: 1, prev: zero, timestamp: t0, type: 4, body: selfRot.bytes), .malformedEntry, "successor")
        var sealed = ByteWriter()
        let r1 = try Signer(seed: seed(5)), r2 = try Signer(seed: seed(6))
        let recs = [r1.publicKey, r2.publicKey].sorted(by: >).flatMap { $0.bytes + [UInt8](repeating: 0, count: ContentCipher.sealedKeyByteCount) }
        sealed.field(1, recs); sealed.field(2, [UInt8](repeating: 0, count: 24)); sealed.field(3, [UInt8](repeating: 0, count: 40))
        add("sealed-unsorted-recipients", "Recipients of a sealed body must be sorted by key.", raw(c, seq: 1, prev: zero, timestamp: t0, type: 5, body: sealed.bytes), .malformedEntry, "recipients")
        // Sealed envelope rules (§6.3, §7.1): one record of the wrong size, 257 recipients, a
        // nonce that is not 24 bytes, a ciphertext shorter than its minimum (2 + 16).
        func sealedVariant(_ name: String, _ d: String, _ code: CoalitionError.Code, _ field: String, records: [UInt8], nonce: Int = 24, ciphertext: Int = 40) {
            var w = ByteWriter(); w.field(1, records); w.field(2, [UInt8](repeating: 0, count: nonce)); w.field(3, [UInt8](repeating: 0, count: ciphertext))
            add(name, d, raw(c, seq: 1, prev: zero, timestamp: t0, type: 5, body: w.bytes), code, field)
        }
        let record = r1.publicKey.bytes + [UInt8](repeating: 0, count: ContentCipher.sealedKeyByteCount)
        sealedVariant("sealed-short-record", "Recipient records are 112 bytes each (key and sealed key).", .malformedEntry, "recipients", records: Array(record.dropLast()))
        let keys = (0..<257).map { i -> [UInt8] in var k = [UInt8](repeating: 0, count: 32); k[0] = UInt8(i >> 8); k[1] = UInt8(i & 0xff); k[31] = 1; return k }
        sealedVariant("sealed-257-recipients", "At most 256 recipients.", .tooLarge, "recipients",
                      records: keys.flatMap { $0 + [UInt8](repeating: 0, count: ContentCipher.sealedKeyByteCount) })
        sealedVariant("sealed-short-nonce", "The nonce is 24 bytes.", .malformedEntry, "nonce", records: record, nonce: 12)
        sealedVariant("sealed-short-ciphertext", "The ciphertext holds at least the 2-byte type and the 16-byte tag.", .malformedEntry, "ciphertext", records: record, ciphertext: 17)
        let big = publish { w in w.field(1, text: "x-big"); w.field(2, text: "v"); w.field(3, text: "violence"); w.field(4, u8: 1); w.field(5, u8: 1); w.field(10, [UInt8](repeating: 7, count: 65_536)) }
        add("oversized-entry", "An entry over 65536 bytes.", raw(c, seq: 1, prev: zero, timestamp: t0, type: 1, body: big), .tooLarge, "entry")
        return InvalidVectorFile(description: "Entries every node must reject, with the error code and the field at fault. All are signed correctly unless the error is bad-signature.", vectors: v)
    }

    static func sealed() throws -> SealedVectorFile {
        let a = try Signer(seed: seed(2))
        let recipient = try Signer(seed: seed(5)), outsider = try Signer(seed: seed(6))
        var signal = Signal(validated: .sha256, value: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", category: "protection_of_minors/child_sexual_abuse_material",
                            severity: .critical, tlp: .red, labels: [], expiresAt: nil, note: "restricted to named members", quality: nil)
        let inner = Body.publish(signal)
        let env = try SealedEnvelope.seal(inner, author: a.publicKey, seq: 1, recipients: [recipient.publicKey])
        let e = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: t0, body: .sealed(env))
        signal.tlp = .amberStrict
        let env2 = try SealedEnvelope.seal(.retract(try Retraction(target: e.id, reason: "wrong hash")), author: a.publicKey, seq: 2, recipients: [recipient.publicKey])
        let e2 = try Entry.sign(by: a, seq: 2, prev: e.id, timestamp: t0 + 1000, body: .sealed(env2))
        func vec(_ name: String, _ d: String, _ e: Entry, _ inner: Body) -> SealedVector {
            SealedVector(name: name, description: d, entryHex: Hex.encode(e.bytes), id: e.id.hex,
                         recipientSeeds: [Hex.encode(a.exportSeed()), Hex.encode(recipient.exportSeed())],
                         nonRecipientSeed: Hex.encode(outsider.exportSeed()), innerBodyType: inner.typeCode, innerBodyHex: Hex.encode(BodyCodec.encode(inner)))
        }
        return SealedVectorFile(description: "Restricted entries. Encryption is randomised, so these cannot be rebuilt byte for byte; instead verify the signature and id, open them with each recipient seed (the author is always a recipient) to get exactly innerBodyType and innerBodyHex, and check that nonRecipientSeed cannot open them.",
                                vectors: [vec("sealed-publish-red", "A TLP red SHA-256 signal sealed to one member (and its author).", e, inner),
                                          vec("sealed-retract", "A retraction sealed to the same members, seq 2.", e2, .retract(try Retraction(target: e.id, reason: "wrong hash")))])
    }

    static func memberIDs() throws -> MemberIDVectorFile {
        var valid: [MemberIDVectorFile.Valid] = []
        for tag in [UInt8(1), 2, 3] {
            let k = try Signer(seed: seed(tag)).publicKey
            let id = MemberID(publicKey: k).description
            valid.append(.init(publicKey: Hex.encode(k.bytes), memberID: id,
                               alternateSpellings: [id.lowercased(), id.replacingOccurrences(of: "-", with: ""), id.replacingOccurrences(of: "-", with: " ")]))
        }
        let zeroKey = MemberID(publicKey: try PublicKey(bytes: [UInt8](repeating: 0, count: 32))).description
        valid.append(.init(publicKey: String(repeating: "00", count: 32), memberID: zeroKey, alternateSpellings: [zeroKey.replacingOccurrences(of: "A", with: "a")]))
        let good = valid[0].memberID
        var typo = Array(good)
        typo[3] = typo[3] == "A" ? "B" : "A"
        var swapped = Array(good)
        swapped.swapAt(1, 2)
        return MemberIDVectorFile(
            description: "Member IDs: base32 of the public key in 4 groups of 13 characters, each followed by a Luhn mod 32 check character, shown as 8 groups of 7. Parsers ignore case, dashes and spaces.",
            valid: valid,
            invalid: [.init(text: String(typo), why: "one character changed: a check character fails"),
                      .init(text: String(swapped), why: swapped == Array(good) ? "identical" : "two adjacent characters swapped: a check character fails"),
                      .init(text: String(good.dropLast()), why: "55 characters"),
                      .init(text: good.replacingOccurrences(of: "-", with: "!"), why: "'!' is not a base32 character")])
    }

    static func merge() throws -> MergeVectorFile {
        let a = try Signer(seed: seed(1)), b = try Signer(seed: seed(2)), c = try Signer(seed: seed(3))
        var chains: [PublicKey: [Entry]] = [:]
        func next(_ s: Signer, _ body: Body, forkAt: Int? = nil) throws -> Entry {
            let chain = chains[s.publicKey] ?? []
            let base = forkAt ?? chain.count
            let prev = base == 0 ? EntryID.zero : chain[base - 1].id
            let e = try Entry.sign(by: s, seq: UInt64(base + 1), prev: prev, timestamp: t0 + Int64(base) * 1000, body: body)
            if forkAt == nil { chains[s.publicKey, default: []].append(e) }
            return e
        }
        func sig(_ kind: SignalKind, _ value: String) -> Body {
            .publish(Signal(validated: kind, value: value, category: "protection_of_minors/unsafe_challenges", severity: .high, tlp: .clear, labels: [], expiresAt: nil, note: nil, quality: nil))
        }
        let a1 = try next(a, sig(.md5, "d41d8cd98f00b204e9800998ecf8427e"))
        let a2 = try next(a, sig(.trend, "#blackoutchallenge"))
        let b1 = try next(b, sig(.trend, "#blackoutchallenge"))
        let b2 = try next(b, .opinion(Opinion(unchecked: a2.id, stance: .confirm, note: nil)))
        let c1 = try next(c, .opinion(Opinion(unchecked: a2.id, stance: .dispute, note: nil)))
        let c2 = try next(c, .opinion(Opinion(unchecked: a1.id, stance: .confirm, note: nil)))
        let c3 = try next(c, .opinion(Opinion(unchecked: a1.id, stance: .dispute, note: "empty file")))
        let a3 = try next(a, .retract(Retraction(unchecked: a1.id, reason: "false positive")))
        let b3 = try next(b, .retract(Retraction(unchecked: a2.id, reason: "not mine to retract: no effect")))
        let b4 = try next(b, sig(.url, "https://example.com/a"))
        let b4fork = try next(b, sig(.url, "https://example.com/b"), forkAt: 3)
        var badSig = b1.bytes; badSig[badSig.count - 1] ^= 1
        let bad = try Entry(decoding: badSig)
        let delivered = [c3, a1, c1, c2, b1, a2, bad, b2, a3, b4, b3, b4fork, a1]
        var replica = Replica()
        var outcomes: [MergeVectorFile.Outcome] = []
        for e in delivered {
            outcomes.append(.init(entry: e.id.hex, outcome: replica.receive(e).vectorLabel))
        }
        let signals = replica.state.signals.values.sorted { $0.id < $1.id }.map {
            MergeVectorFile.SignalState(id: $0.id.hex, kind: $0.signal.kind.name, value: $0.signal.value, retractedBy: $0.retraction?.entry.hex,
                                        verdict: replica.state.verdict(for: $0.id).rawValue)
        }
        return MergeVectorFile(
            description: "Deliver the entries in order to an empty node (no read key). Expected: the outcome of each delivery, the signals with retraction and verdict, the equivocators, and the state digest with the lines it hashes (SPEC §8.10). Covers: an orphan applied once its predecessor arrives, a bad signature, a duplicate, two sources of one indicator, last-writer-wins opinions, a retraction, a retraction of another author's signal (no effect), and a fork (equivocation).",
            readerSeed: nil, entries: delivered.map { Hex.encode($0.bytes) }, outcomes: outcomes, signals: signals,
            equivocators: replica.state.equivocators.map { Hex.encode($0.bytes) }.sorted(),
            digestLines: replica.state.digestLines(), digest: Hex.encode(replica.state.digest()))
    }

    /// Runs deliveries through a replica and records what a scenario vector states.
    static func scenario(_ name: String, _ description: String, reader: Signer?, delivered: [Entry]) -> ScenarioVectorFile.Scenario {
        var replica = Replica(reader: reader)
        let outcomes = delivered.map { MergeVectorFile.Outcome(entry: $0.id.hex, outcome: replica.receive($0).vectorLabel) }
        let signals = replica.state.signals.values.sorted { $0.id < $1.id }.map {
            MergeVectorFile.SignalState(id: $0.id.hex, kind: $0.signal.kind.name, value: $0.signal.value, retractedBy: $0.retraction?.entry.hex,
                                        verdict: replica.state.verdict(for: $0.id).rawValue)
        }
        return .init(name: name, description: description, readerSeed: reader.map { Hex.encode($0.exportSeed()) },
                     entries: delivered.map { Hex.encode($0.bytes) }, outcomes: outcomes, signals: signals,
                     equivocators: replica.state.equivocators.map { Hex.encode($0.bytes) }.sorted(),
                     digestLines: replica.state.digestLines(), digest: Hex.encode(replica.state.digest()))
    }

    static func scenarios() throws -> ScenarioVectorFile {
        let a = try Signer(seed: seed(1)), b = try Signer(seed: seed(2)), reader = try Signer(seed: seed(5)), other = try Signer(seed: seed(6))
        func md5(_ n: Int) -> Body {
            .publish(Signal(validated: .md5, value: String(format: "%032x", n), category: "violence", severity: .high, tlp: .green,
                            labels: [], expiresAt: nil, note: nil, quality: nil))
        }
        // 1. Chain rules (SPEC §7.2): every way an intrinsically valid entry can fail to link.
        let a1 = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: t0 + 1000, body: md5(1))
        let backwards = try Entry.sign(by: a, seq: 2, prev: a1.id, timestamp: t0, body: md5(2))
        let gap = try Entry.sign(by: a, seq: 3, prev: a1.id, timestamp: t0 + 2000, body: md5(3))
        let otherAuthor = try Entry.sign(by: b, seq: 2, prev: a1.id, timestamp: t0 + 2000, body: md5(4))
        let rotation = try Entry.sign(by: a, seq: 2, prev: a1.id, timestamp: t0 + 2000, body: .keyRotation(KeyRotation(from: a.publicKey, to: other)))
        let afterRotation = try Entry.sign(by: a, seq: 3, prev: rotation.id, timestamp: t0 + 3000, body: md5(5))
        let chainRules = scenario("chain-rules", "A timestamp going backwards, a sequence gap, a predecessor by another author, and an entry after a key rotation are each rejected with broken-chain; the rotation itself is applied and appears as a rotation line.",
                                  reader: nil, delivered: [a1, backwards, gap, otherAuthor, rotation, afterRotation])

        // 2. A reader with sealed entries (SPEC §6, §8.2, §8.9): one addressed to it, one not.
        var red = Signal(validated: .sha256, value: String(repeating: "ab", count: 32), category: "protection_of_minors", severity: .critical,
                         tlp: .red, labels: [], expiresAt: nil, note: nil, quality: nil)
        let s1 = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: t0,
                                body: .sealed(try SealedEnvelope.seal(.publish(red), author: a.publicKey, seq: 1, recipients: [reader.publicKey])))
        red.value = String(repeating: "cd", count: 32)
        let s2 = try Entry.sign(by: a, seq: 2, prev: s1.id, timestamp: t0 + 1000,
                                body: .sealed(try SealedEnvelope.seal(.publish(red), author: a.publicKey, seq: 2, recipients: [other.publicKey])))
        let s3 = try Entry.sign(by: b, seq: 1, prev: .zero, timestamp: t0 + 2000, body: .opinion(Opinion(unchecked: s1.id, stance: .confirm, note: nil)))
        let sealed = scenario("sealed-with-reader", "Node reads with readerSeed. The first sealed signal is addressed to it and is applied (and confirmed by B); the second is not, and yields an unreadable line. Scenario sealed-without-reader delivers the same entries to a node without a read key.",
                              reader: reader, delivered: [s3, s2, s1])

        // 3. Two retractions of one signal on a fork, arriving before the signal (SPEC §8.4, §7.4).
        let p1 = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: t0, body: md5(9))
        let r2a = try Entry.sign(by: a, seq: 2, prev: p1.id, timestamp: t0 + 1000, body: .retract(Retraction(unchecked: p1.id, reason: "first reason")))
        let r2b = try Entry.sign(by: a, seq: 2, prev: p1.id, timestamp: t0 + 1000, body: .retract(Retraction(unchecked: p1.id, reason: "second reason")))
        let retractions = scenario("competing-retractions", "Two retractions of one signal at the same sequence number (a fork) arrive before the signal and wait as pending; when it arrives both apply, the author becomes an equivocator, and the retraction shown is the smaller by (seq, ID).",
                                   reader: nil, delivered: [r2b, r2a, p1])

        // 4. The entries of scenario 2 on a node without read rights (SPEC §8.9): every sealed
        //    entry is an unreadable line, and the opinion on one of them still wins.
        let noReader = scenario("sealed-without-reader", "The entries of sealed-with-reader delivered to a node that has no read key: both sealed entries are unreadable lines and nothing they carry is applied; B's opinion on the first is still a winning opinion line.",
                                reader: nil, delivered: [s3, s2, s1])

        // 5. Sealed entries addressed to the reader that it still cannot read (SPEC §6.2, §6.3).
        func envelope(_ plaintext: [UInt8], sealingSeq: UInt64) throws -> Body {
            let key = SecureRandom.bytes(ContentCipher.keyByteCount), nonce = SecureRandom.bytes(ContentCipher.nonceByteCount)
            let ciphertext = try ContentCipher.encrypt(plaintext, key: key, nonce: nonce,
                                                       associatedData: Entry.sealingContext(author: a.publicKey, seq: sealingSeq))
            let recipients = try [a.publicKey, reader.publicKey].sorted().map { SealedEnvelope.Recipient(key: $0, sealedKey: try ContentCipher.sealKey(key, to: $0)) }
            return .sealed(SealedEnvelope(recipients: recipients, nonce: nonce, ciphertext: ciphertext))
        }
        func inner(_ body: Body) -> [UInt8] { var w = ByteWriter(); w.u16(body.typeCode); w.raw(BodyCodec.encode(body)); return w.bytes }
        red.value = String(repeating: "ef", count: 32)
        let wrongAD = try Entry.sign(by: a, seq: 1, prev: .zero, timestamp: t0, body: try envelope(inner(.publish(red)), sealingSeq: 2))
        let rotationInside = try Entry.sign(by: a, seq: 2, prev: wrongAD.id, timestamp: t0 + 1000,
                                            body: try envelope(inner(.keyRotation(KeyRotation(from: a.publicKey, to: other))), sealingSeq: 2))
        let nested = try SealedEnvelope.seal(.publish(red), author: a.publicKey, seq: 3, recipients: [reader.publicKey])
        var nestedPlain = ByteWriter(); nestedPlain.u16(BodyType.sealed); nestedPlain.raw(BodyCodec.encode(.sealed(nested)))
        let sealedInside = try Entry.sign(by: a, seq: 3, prev: rotationInside.id, timestamp: t0 + 2000, body: try envelope(nestedPlain.bytes, sealingSeq: 3))
        red.value = String(repeating: "01", count: 32)
        let readable = try Entry.sign(by: a, seq: 4, prev: sealedInside.id, timestamp: t0 + 3000, body: try envelope(inner(.publish(red)), sealingSeq: 4))
        let unreadable = scenario("sealed-unreadable", "Four sealed entries addressed to the reader. The first was encrypted with the associated data of seq 2 although it is seq 1; the second holds a key rotation (inner type 4); the third a sealed body (inner type 5). All three are valid, applied and unreadable lines. The fourth, sealed correctly, is read and gives a signal.",
                                    reader: reader, delivered: [wrongAD, rotationInside, sealedInside, readable])

        // 6. A pending entry that does not link once its predecessor arrives (SPEC §7.3).
        let d1 = try Entry.sign(by: b, seq: 1, prev: .zero, timestamp: t0 + 1000, body: md5(21))
        let d2 = try Entry.sign(by: b, seq: 2, prev: d1.id, timestamp: t0 + 3000, body: md5(22))
        let d3 = try Entry.sign(by: b, seq: 3, prev: d2.id, timestamp: t0 + 2000, body: md5(23))
        let discarded = scenario("pending-discarded", "B's seq 3 names seq 2 as its predecessor but is dated before it. It arrives first and waits as pending; when seq 2 arrives it is checked, does not link (timestamp going backwards) and is discarded, so its signal is not in the state. Delivered again, it is rejected with broken-chain.",
                                 reader: nil, delivered: [d3, d1, d2, d3])
        return ScenarioVectorFile(description: "Merge scenarios: deliver each scenario's entries in order to an empty node that reads with readerSeed (none if absent) and compare outcomes, signals, equivocators, digest lines and digest, as for merge.json.",
                                  scenarios: [chainRules, sealed, retractions, noReader, unreadable, discarded])
    }
}

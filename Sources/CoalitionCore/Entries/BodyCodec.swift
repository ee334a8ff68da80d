import CoalitionCrypto

/// Encodes and decodes entry bodies (`Protocol/SPEC.md` §4).
package enum BodyCodec {
    // Field tags.
    enum Publish { static let kind: UInt8 = 1, value: UInt8 = 2, category: UInt8 = 3, severity: UInt8 = 4, tlp: UInt8 = 5, labels: UInt8 = 6, expiresAt: UInt8 = 7, note: UInt8 = 8, quality: UInt8 = 9 }
    enum Retract { static let target: UInt8 = 1, reason: UInt8 = 2 }
    enum OpinionTag { static let target: UInt8 = 1, stance: UInt8 = 2, note: UInt8 = 3 }
    enum Rotation { static let successor: UInt8 = 1, signature: UInt8 = 2 }
    enum Sealed { static let recipients: UInt8 = 1, nonce: UInt8 = 2, ciphertext: UInt8 = 3 }

    static let recipientRecordBytes = 32 + ContentCipher.sealedKeyByteCount

    static func encode(_ body: Body) -> [UInt8] {
        var w = ByteWriter()
        switch body {
        case .publish(let s):
            w.field(Publish.kind, text: s.kind.name)
            w.field(Publish.value, text: s.value)
            w.field(Publish.category, text: s.category)
            w.field(Publish.severity, u8: s.severity.rawValue)
            w.field(Publish.tlp, u8: s.tlp.rawValue)
            if !s.labels.isEmpty { w.field(Publish.labels, texts: s.labels) }
            if let e = s.expiresAt { w.field(Publish.expiresAt, i64: e) }
            if let n = s.note { w.field(Publish.note, text: n) }
            if let q = s.quality { w.field(Publish.quality, u8: q) }
        case .retract(let r):
            w.field(Retract.target, r.target.bytes)
            w.field(Retract.reason, text: r.reason)
        case .opinion(let o):
            w.field(OpinionTag.target, o.target.bytes)
            w.field(OpinionTag.stance, u8: o.stance.rawValue)
            if let n = o.note { w.field(OpinionTag.note, text: n) }
        case .keyRotation(let k):
            w.field(Rotation.successor, k.successor.bytes)
            w.field(Rotation.signature, k.successorSignature)
        case .sealed(let s):
            w.field(Sealed.recipients, s.recipients.flatMap { $0.key.bytes + $0.sealedKey })
            w.field(Sealed.nonce, s.nonce)
            w.field(Sealed.ciphertext, s.ciphertext)
        case .unknown:
            preconditionFailure("unknown bodies are signed from raw bytes")
        }
        return w.bytes
    }

    package static func decode(type: UInt16, _ bytes: ArraySlice<UInt8>, inner: Bool = false) throws(CoalitionError) -> Body {
        switch type {
        case BodyType.publish: return .publish(try decodePublish(bytes, sealed: inner))
        case BodyType.retract: return .retract(try decodeRetract(bytes))
        case BodyType.opinion: return .opinion(try decodeOpinion(bytes))
        case BodyType.keyRotation: return .keyRotation(try decodeRotation(bytes))
        case BodyType.sealed:
            guard !inner else { throw CoalitionError(.malformedEntry, "a sealed body cannot contain another sealed body", field: "body") }
            return .sealed(try decodeSealed(bytes))
        default: return .unknown(type: type)
        }
    }

    private static func decodePublish(_ bytes: ArraySlice<UInt8>, sealed: Bool) throws(CoalitionError) -> Signal {
        let f = try FieldList(parsing: bytes)
        let kindName = try f.requireText(Publish.kind, "kind", maxBytes: Limits.maxKindBytes)
        let kind: SignalKind
        do { kind = try SignalKind(name: kindName) } catch { throw CoalitionError(.malformedEntry, error.message, field: "kind") }
        let value = try f.requireText(Publish.value, "value", maxBytes: Limits.maxValueBytes)
        try SignalRules.checkReceivedValue(value, kind: kind)
        let category = try f.requireText(Publish.category, "category", maxBytes: Limits.maxCategoryBytes)
        do { _ = try SignalRules.checkCategory(category) } catch { throw CoalitionError(.malformedEntry, error.message, field: "category") }
        guard let sevRaw = try f.u8(Publish.severity, "severity") else { throw CoalitionError(.malformedEntry, "is required", field: "severity") }
        guard let severity = Severity(rawValue: sevRaw) else { throw CoalitionError(.malformedEntry, "\(sevRaw) is not a severity (0–3)", field: "severity") }
        guard let tlpRaw = try f.u8(Publish.tlp, "tlp") else { throw CoalitionError(.malformedEntry, "is required", field: "tlp") }
        guard let tlp = TLP(rawValue: tlpRaw) else { throw CoalitionError(.malformedEntry, "\(tlpRaw) is not a TLP level (0–4)", field: "tlp") }
        guard sealed || !tlp.requiresEncryption else {
            throw CoalitionError(.malformedEntry, "a \(tlp) signal must be sealed to its recipients, never sent in plaintext", field: "tlp")
        }
        let labels = try f.texts(Publish.labels, "labels", maxItems: Limits.maxLabels, maxBytes: Limits.maxLabelBytes) ?? []
        if f.has(Publish.labels) && labels.isEmpty { throw CoalitionError(.malformedEntry, "an empty label list must be omitted", field: "labels") }
        for (i, l) in labels.enumerated() {
            guard !l.isEmpty, !SignalRules.hasControl(l) else { throw CoalitionError(.malformedEntry, "a label is empty or has a control character", field: "labels") }
            if i > 0 && !labels[i - 1].utf8.lexicographicallyPrecedes(l.utf8) {
                throw CoalitionError(.malformedEntry, "labels must be sorted by bytes and unique", field: "labels")
            }
        }
        let expiresAt = try f.i64(Publish.expiresAt, "expiresAt")
        let note = try f.text(Publish.note, "note", maxBytes: Limits.maxNoteBytes)
        if let note, note.isEmpty { throw CoalitionError(.malformedEntry, "an empty note must be omitted", field: "note") }
        let quality = try f.u8(Publish.quality, "quality")
        if let quality {
            guard kind == .pdq else { throw CoalitionError(.malformedEntry, "only pdq signals have a quality", field: "quality") }
            guard quality <= 100 else { throw CoalitionError(.malformedEntry, "must be 0–100", field: "quality") }
        }
        return Signal(validated: kind, value: value, category: category, severity: severity, tlp: tlp,
                      labels: labels, expiresAt: expiresAt, note: note, quality: quality)
    }

    private static func decodeRetract(_ bytes: ArraySlice<UInt8>) throws(CoalitionError) -> Retraction {
        let f = try FieldList(parsing: bytes)
        let target = EntryID(unchecked: try f.requireBytes(Retract.target, "target", count: 32))
        let reason = try f.requireText(Retract.reason, "reason", maxBytes: Limits.maxNoteBytes)
        guard !reason.isEmpty else { throw CoalitionError(.malformedEntry, "a retraction needs a reason", field: "reason") }
        return Retraction(unchecked: target, reason: reason)
    }

    private static func decodeOpinion(_ bytes: ArraySlice<UInt8>) throws(CoalitionError) -> Opinion {
        let f = try FieldList(parsing: bytes)
        let target = EntryID(unchecked: try f.requireBytes(OpinionTag.target, "target", count: 32))
        guard let raw = try f.u8(OpinionTag.stance, "stance") else { throw CoalitionError(.malformedEntry, "is required", field: "stance") }
        guard let stance = Opinion.Stance(rawValue: raw) else { throw CoalitionError(.malformedEntry, "\(raw) is not an opinion (1–3)", field: "stance") }
        let note = try f.text(OpinionTag.note, "note", maxBytes: Limits.maxNoteBytes)
        if let note, note.isEmpty { throw CoalitionError(.malformedEntry, "an empty note must be omitted", field: "note") }
        return Opinion(unchecked: target, stance: stance, note: note)
    }

    private static func decodeRotation(_ bytes: ArraySlice<UInt8>) throws(CoalitionError) -> KeyRotation {
        let f = try FieldList(parsing: bytes)
        // Two statements: a `try!` around the field read would turn its error (a successor of the
        // wrong length, from any peer) into a crash. Found by the `entry` fuzz target.
        let successorBytes = try f.requireBytes(Rotation.successor, "successor", count: 32)
        let successor = try! PublicKey(bytes: successorBytes)  // 32 bytes: always a key
        let sig = try f.requireBytes(Rotation.signature, "successorSignature", count: Signer.signatureByteCount)
        // The current key is checked by the caller-independent statement: it is the entry's author,
        // which this function does not see; see ChainRules.checkRotation.
        return KeyRotation(successor: successor, successorSignature: sig)
    }

    private static func decodeSealed(_ bytes: ArraySlice<UInt8>) throws(CoalitionError) -> SealedEnvelope {
        let f = try FieldList(parsing: bytes)
        let raw = try f.requireBytes(Sealed.recipients, "recipients")
        guard !raw.isEmpty, raw.count % recipientRecordBytes == 0 else {
            throw CoalitionError(.malformedEntry, "must be a non-empty list of \(recipientRecordBytes)-byte records", field: "recipients")
        }
        let count = raw.count / recipientRecordBytes
        guard count <= Limits.maxRecipients else { throw CoalitionError(.tooLarge, "at most \(Limits.maxRecipients) recipients", field: "recipients") }
        var recipients: [SealedEnvelope.Recipient] = []
        for i in 0..<count {
            let rec = raw[i * recipientRecordBytes..<(i + 1) * recipientRecordBytes]
            let key = try! PublicKey(bytes: rec.prefix(32))
            if let last = recipients.last, !(last.key < key) {
                throw CoalitionError(.malformedEntry, "recipients must be sorted by key and unique", field: "recipients")
            }
            recipients.append(.init(key: key, sealedKey: Array(rec.dropFirst(32))))
        }
        let nonce = try f.requireBytes(Sealed.nonce, "nonce", count: ContentCipher.nonceByteCount)
        let ciphertext = try f.requireBytes(Sealed.ciphertext, "ciphertext")
        guard ciphertext.count >= ContentCipher.tagByteCount + 2 else {
            throw CoalitionError(.malformedEntry, "is too short to hold a body", field: "ciphertext")
        }
        return SealedEnvelope(recipients: recipients, nonce: nonce, ciphertext: ciphertext)
    }
}

/// The rules for signal fields.
///
/// Two strengths of rule exist on purpose:
/// - **publish rules** canonicalise what a person typed (URL normalisation, Unicode folding of
///   trends). They run only where a signal is created.
/// - **receive rules** are the part of validity every node checks on every entry. They are
///   syntactic and never depend on Unicode tables or library versions, so that two nodes built
///   years apart always agree on whether a chain is valid.
public enum SignalRules {
    // MARK: publish side

    /// Canonicalises a value for `kind`.
    /// - Throws: `invalidField` on field `value`, with the reason.
    public static func canonicalValue(_ raw: String, kind: SignalKind) throws(CoalitionError) -> String {
        let v = raw.trimmingWhitespace()
        guard !v.isEmpty else { throw CoalitionError(.invalidField, "is empty", field: "value") }
        switch kind {
        case .pdq: return try hex(v, bytes: 32, kind: "pdq")
        case .md5: return try hex(v, bytes: 16, kind: "md5")
        case .sha256: return try hex(v, bytes: 32, kind: "sha256")
        case .url:
            do { return try URLCanonicalizer.canonicalize(v) } catch {
                throw CoalitionError(.invalidField, error.reason, field: "value")
            }
        case .trend:
            do { return try TrendCanonicalizer.canonicalize(v) } catch {
                throw CoalitionError(.invalidField, error.reason, field: "value")
            }
        case .other:
            try checkReceivedValue(v, kind: kind)
            return v
        }
    }

    private static func hex(_ v: String, bytes: Int, kind: String) throws(CoalitionError) -> String {
        // Most values arrive canonical already (every lookup of a stored hash does): copy only to lowercase.
        let lower = v.utf8.allSatisfy(isLowerHex) ? v : v.lowercased()
        guard lower.utf8.count == bytes * 2, lower.utf8.allSatisfy(isLowerHex) else {
            throw CoalitionError(.invalidField, "a \(kind) value is \(bytes * 2) hex characters, got '\(v.prefix(80))'", field: "value")
        }
        return lower
    }

    /// Checks a category's syntax: `name` or `name/keyword`, each `[a-z0-9_]+`.
    public static func checkCategory(_ c: String) throws(CoalitionError) -> String {
        // A byte scan: this runs on every received publish entry, where splitting the string into
        // Characters would cost more than the rest of the body's decoding.
        var parts = 1, partLength = 0, ok = c.utf8.count <= Limits.maxCategoryBytes
        for byte in c.utf8 where ok {
            if byte == UInt8(ascii: "/") {
                ok = partLength > 0 && parts < 2
                parts += 1
                partLength = 0
            } else {
                ok = isLowerAlnum(byte) || byte == UInt8(ascii: "_")
                partLength += 1
            }
        }
        guard ok, partLength > 0 else {
            throw CoalitionError(.invalidField, "'\(c.prefix(120))' is not a category (use 'category' or 'category/keyword' from Protocol/taxonomy.json)", field: "category")
        }
        return c
    }

    /// The publish rule for labels (SPEC §5.4): trim White_Space, lowercase per code point, NFC,
    /// drop empty ones, check each (size, control code points), de-duplicate and sort by UTF-8
    /// bytes, at most 32.
    ///
    /// De-duplication compares bytes, never `String` equality: Swift's `==` is canonical
    /// equivalence, which would keep whichever of two spellings of "é" came first, so the signed
    /// bytes would depend on the order the labels were typed. After NFC the two spellings are the
    /// same bytes anyway.
    public static func canonicalLabels(_ raw: [String]) throws(CoalitionError) -> [String] {
        var seen = Set<[UInt8]>()
        var labels: [String] = []
        for l in raw {
            do { try CanonicalText.checkRepertoire(l, "a label") } catch {
                throw CoalitionError(.invalidField, error.reason, field: "labels")
            }
            let t = CanonicalText.nfc(CanonicalText.lowercasePerScalar(l.trimmingWhitespace()))
            if t.isEmpty { continue }
            try checkLabel(t)
            if seen.insert(Array(t.utf8)).inserted { labels.append(t) }
        }
        guard labels.count <= Limits.maxLabels else {
            throw CoalitionError(.invalidField, "at most \(Limits.maxLabels) labels, got \(labels.count)", field: "labels")
        }
        return labels.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    // MARK: receive side (validity)

    /// The stable syntactic check of a received value.
    static func checkReceivedValue(_ v: String, kind: SignalKind) throws(CoalitionError) {
        let u = v.utf8
        switch kind {
        case .pdq, .sha256:
            guard u.count == 64, u.allSatisfy(isLowerHex) else { throw CoalitionError(.malformedEntry, "must be 64 lowercase hex characters", field: "value") }
        case .md5:
            guard u.count == 32, u.allSatisfy(isLowerHex) else { throw CoalitionError(.malformedEntry, "must be 32 lowercase hex characters", field: "value") }
        case .url:
            let lower = v.hasPrefix("http://") || v.hasPrefix("https://")
            guard lower, u.count <= Limits.maxValueBytes, u.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
                throw CoalitionError(.malformedEntry, "must be a canonical http(s) URL: printable ASCII, no spaces", field: "value")
            }
        case .trend:
            guard !u.isEmpty, u.count <= Limits.maxTrendBytes else {
                throw CoalitionError(.malformedEntry, "must be 1–\(Limits.maxTrendBytes) bytes", field: "value")
            }
            guard !hasControl(v) else { throw CoalitionError(.malformedEntry, "contains a control character", field: "value") }
        case .other:
            guard !u.isEmpty, u.count <= Limits.maxValueBytes else {
                throw CoalitionError(.malformedEntry, "must be 1–\(Limits.maxValueBytes) bytes", field: "value")
            }
        }
    }

    static func checkLabel(_ l: String) throws(CoalitionError) {
        guard !l.isEmpty, l.utf8.count <= Limits.maxLabelBytes, !hasControl(l) else {
            throw CoalitionError(.invalidField, "a label is 1–\(Limits.maxLabelBytes) bytes with no control characters: '\(l.prefix(80))'", field: "labels")
        }
    }

    public static func checkNote(_ n: String, field: String) throws(CoalitionError) {
        guard n.utf8.count <= Limits.maxNoteBytes else {
            throw CoalitionError(.invalidField, "is \(n.utf8.count) bytes; the limit is \(Limits.maxNoteBytes)", field: field)
        }
    }

    /// Any C0 control, DEL or C1 control (U+0080–U+009F).
    static func hasControl(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }
    }

    static func isLowerHex(_ c: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c)
    }

    static func isLowerAlnum(_ c: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
    }
}

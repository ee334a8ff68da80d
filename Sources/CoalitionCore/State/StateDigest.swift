import CoalitionCrypto

/// The state digest of `Protocol/SPEC.md` §8.10: SHA-256 over the sorted lines that describe a
/// merged state. Two nodes with the same entries and read rights have the same digest.
public enum StateDigest {
    public static func signalLine(id: EntryID, retractedBy: EntryID?) -> String {
        "signal \(id.hex) \(retractedBy?.hex ?? "-")"
    }
    public static func opinionLine(author: PublicKey, target: EntryID, entry: EntryID) -> String {
        "opinion \(Hex.encode(author.bytes)) \(target.hex) \(entry.hex)"
    }
    public static func equivocatorLine(_ author: PublicKey) -> String { "equivocator \(Hex.encode(author.bytes))" }
    public static func rotationLine(author: PublicKey, successor: PublicKey) -> String {
        "rotation \(Hex.encode(author.bytes)) \(Hex.encode(successor.bytes))"
    }
    public static func unreadableLine(_ id: EntryID) -> String { "unreadable \(id.hex)" }

    /// Lines sorted by their UTF-8 bytes.
    public static func sorted(_ lines: [String]) -> [String] {
        lines.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
    }

    /// SHA-256 of the lines sorted by their UTF-8 bytes, each followed by a newline.
    public static func digest(_ lines: [String]) -> [UInt8] {
        var h = SHA256.Hasher()
        for l in sorted(lines) {
            h.update(Array(l.utf8) + [0x0a])
        }
        return h.finalize()
    }
}

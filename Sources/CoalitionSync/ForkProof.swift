import CoalitionCore
import CoalitionCrypto

/// A fork proof (§13.8): two different, intrinsically valid entries of one author with one
/// sequence number, which together prove the author equivocates.
public enum ForkProof {
    /// Checks the two entries of a proof.
    /// - Returns: the author and the sequence number they share.
    /// - Throws: `invalidEntry` when an entry is malformed or badly signed, or the two are not
    ///   two different entries of one author at one seq.
    public static func check(_ a: [UInt8], _ b: [UInt8]) throws(WireError) -> (author: PublicKey, seq: UInt64) {
        let first: Entry, second: Entry
        do {
            first = try Entry(decoding: a)
            second = try Entry(decoding: b)
            _ = try first.validateIntrinsic()
            _ = try second.validateIntrinsic()
        } catch {
            throw WireError(.invalidEntry, "fork proof: \(error)", underlying: error)
        }
        guard first.author == second.author, first.seq == second.seq, first.id != second.id else {
            throw WireError(.invalidEntry, "fork proof: the entries are not two different entries of one author at one seq")
        }
        return (first.author, first.seq)
    }
}

import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The key files of a rotation, in an order that survives a crash at any point:
///
/// 1. the successor is written to `member.key.next` (0600, fsynced);
/// 2. the rotation entry, signed by the old key, is committed to the store;
/// 3. the old key is kept as `member.key.retired-<ID>` (it still opens entries sealed to it);
/// 4. `member.key.next` is renamed over `member.key`, and the directory is fsynced.
///
/// A node that starts with a `member.key.next` finishes the rotation when step 2 happened and
/// discards the successor when it did not, so the key file and the store always agree.
struct KeyRotationFiles {
    let keyPath: String
    let logger: Logger

    var nextPath: String { keyPath + ".next" }

    func retiredPath(of key: PublicKey) -> String { keyPath + ".retired-" + MemberID(publicKey: key).short }

    /// Finishes or undoes an interrupted rotation, and refuses a key file whose key was rotated.
    /// - Returns: the key to sign with.
    /// - Throws: `CoalitionError(.keyFile)` when `member.key` holds a retired key and no
    ///   successor is at hand.
    func recover(current: Signer, store: EntryStore) throws -> Signer {
        let succession = KeySuccession(try store.keyRotations())
        if FileManager.default.fileExists(atPath: nextPath) {
            let next = try KeyFile.load(from: nextPath)
            if succession.successors[current.publicKey]?.contains(next.publicKey) == true {
                try finish(old: current, next: next)
                logger.notice("finished an interrupted key rotation", metadata: ["member.id": "\(MemberID(publicKey: next.publicKey))"])
                return next
            }
            try removeNext()
            logger.warning("discarded the successor key of a rotation interrupted before its entry was stored; the key is unchanged",
                           metadata: ["member.id": "\(MemberID(publicKey: current.publicKey))"])
        }
        if succession.isRetired(current.publicKey) {
            let now = MemberID(publicKey: succession.current(of: current.publicKey))
            if FileManager.default.fileExists(atPath: retiredPath(of: current.publicKey)) {
                throw CoalitionError(.keyFile, "\(keyPath) holds the key \(MemberID(publicKey: current.publicKey).short), which this node rotated to \(now.short); restore the successor key file (a backup of member.key made after the rotation), or see docs/key-rotation.md")
            }
            // Not rotated here: by another holder of the key, which may be a thief.
            logger.critical("this node's key \(MemberID(publicKey: current.publicKey).short) was rotated to \(now.short) by an entry this node did not make; it can no longer sign. If no one of this platform rotated it, the key is compromised: see docs/key-rotation.md ('coalition key replace')")
        }
        return current
    }

    /// Step 1: writes the successor.
    /// - Throws: `CoalitionError(.keyFile)` when a rotation is already under way.
    func writeNext(_ next: Signer) throws {
        guard !FileManager.default.fileExists(atPath: nextPath) else {
            throw CoalitionError(.keyFile, "another key rotation is under way (\(nextPath) exists); wait for it, or restart the node to finish or undo it")
        }
        try KeyFile.create(at: nextPath, signer: next)
    }

    /// Steps 3 and 4.
    func finish(old: Signer, next: Signer) throws {
        let retired = retiredPath(of: old.publicKey)
        if !FileManager.default.fileExists(atPath: retired) { try KeyFile.create(at: retired, signer: old) }
        guard rename(nextPath, keyPath) == 0 else {
            throw CoalitionError(.keyFile, "cannot move \(nextPath) over \(keyPath): \(String(cString: strerror(errno)))")
        }
        syncDirectory()
    }

    func removeNext() throws {
        guard unlink(nextPath) == 0 || errno == ENOENT else {
            throw CoalitionError(.keyFile, "cannot remove \(nextPath): \(String(cString: strerror(errno)))")
        }
        syncDirectory()
    }

    private func syncDirectory() {
        let dir = (keyPath as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

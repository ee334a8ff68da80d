import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import Logging

extension NodeDirectory {
    /// What a key rotation did.
    public struct Rotation: Sendable, Codable {
        /// The retired member ID.
        public var oldID: String
        /// The new member ID.
        public var newID: String
        /// The rotation entry's ID (hex).
        public var entryID: String
    }

    /// Rotates this node's member key: a new key is made, the rotation entry naming it is signed
    /// by the current key and stored, and the key file is swapped atomically
    /// (``KeyRotationFiles``). From then on this node signs with the new key; the old one
    /// stays beside the key file only to open entries sealed to it. The caller that runs the
    /// gossip service gives it the new identity (``NodeDaemon/rotateKey()``).
    /// - Throws: `CoalitionError` when a rotation is under way, or the store refuses the entry.
    /// - Parameter next: the successor key (a new one by default).
    public func rotateKey(to next: Signer = Signer(), logger: Logger = Logger(label: "coalition")) throws -> (rotation: Rotation, signer: Signer) {
        let files = KeyRotationFiles(keyPath: Self.resolve(configuration.keyFile, in: path), logger: logger)
        let old = signer
        try files.writeNext(next)
        let entry: Entry
        do {
            let rotation = KeyRotation(from: old.publicKey, to: next)
            guard let stored = try store.append([.plain(.keyRotation(rotation))], by: old).first else {
                throw CoalitionError(.keyFile, "the store returned no rotation entry")
            }
            entry = stored
        } catch {
            try? files.removeNext()
            throw error
        }
        try files.finish(old: old, next: next)
        keys.adopt(next)
        store.adoptReader(next)
        logger.notice("rotated the member key", metadata: ["member.id.old": "\(MemberID(publicKey: old.publicKey))",
                                                          "member.id": "\(MemberID(publicKey: next.publicKey))"])
        return (Rotation(oldID: "\(MemberID(publicKey: old.publicKey))", newID: "\(MemberID(publicKey: next.publicKey))", entryID: entry.id.hex), next)
    }

    /// Replaces this node's member key with a new one **without** a rotation entry: for a key
    /// whose rotation was made by someone else (a thief) or that must not sign anything more.
    /// The new key is a new member ID that the other members must configure by hand; the old
    /// key is kept beside the key file only to open entries sealed to it. Run it on a stopped node.
    /// - Returns: the old and new member IDs.
    public func replaceKey(logger: Logger = Logger(label: "coalition")) throws -> (oldID: String, newID: String) {
        let files = KeyRotationFiles(keyPath: Self.resolve(configuration.keyFile, in: path), logger: logger)
        let old = signer
        let next = Signer()
        try files.writeNext(next)
        try files.finish(old: old, next: next)
        keys.adopt(next)
        store.adoptReader(next)
        logger.notice("replaced the member key without a rotation entry", metadata: ["member.id.old": "\(MemberID(publicKey: old.publicKey))",
                                                                                 "member.id": "\(MemberID(publicKey: next.publicKey))"])
        return ("\(MemberID(publicKey: old.publicKey))", "\(MemberID(publicKey: next.publicKey))")
    }

    /// The rotation entries that lead from this node's first key to its current one, oldest
    /// first: what its TLS certificate carries for peers that missed them.
    public func rotationProof() throws -> [[UInt8]] {
        let succession = KeySuccession(try store.keyRotations())
        return try succession.ancestors(of: signer.publicKey).reversed().compactMap { try store.rotationEntry(of: $0) }
    }
}

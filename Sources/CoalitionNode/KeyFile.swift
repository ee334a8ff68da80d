import CoalitionCore
import CoalitionCrypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The member's secret key on disk: a text file holding the base64 Ed25519 seed, mode 0600.
///
/// Reading refuses a file that group or others can read or write, naming the fix (`chmod 600`).
/// The seed is never logged, and every buffer that held it is wiped with `sodium_memzero`.
public enum KeyFile {
    static let header = """
        # Coalition member secret key (Ed25519 seed, base64). KEEP PRIVATE: mode 0600, never share,
        # never paste into tickets or logs. Anyone holding it can publish as your platform.
        """

    /// Creates a new key file with mode 0600. Fails if the file exists.
    /// - Throws: `CoalitionError(.keyFile)` naming the path and the reason.
    public static func create(at path: String, signer: Signer) throws(CoalitionError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            let reason = errno == EEXIST ? "already exists; refusing to overwrite a member key" : String(cString: strerror(errno))
            throw CoalitionError(.keyFile, "cannot create key file \(path): \(reason)")
        }
        defer { close(fd) }
        // The umask cannot loosen 0600, but a pre-set ACL or odd umask could tighten it oddly; set it exactly.
        fchmod(fd, 0o600)
        var seed = signer.exportSeed()
        defer { Memory.wipe(&seed) }
        var text = Array((header + "\n" + Data(seed).base64EncodedString() + "\n").utf8)
        defer { Memory.wipe(&text) }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count, fsync(fd) == 0 else {
            throw CoalitionError(.keyFile, "cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Refuses a secret file that is missing or that group or others may read.
    /// - Throws: `CoalitionError(.keyFile)` naming the `chmod 600` fix.
    public static func checkPermissions(_ path: String, hint: String = "") throws(CoalitionError) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw CoalitionError(.keyFile, "cannot read key file \(path): \(String(cString: strerror(errno)))\(hint)")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            let what = st.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw CoalitionError(.keyFile, "key file \(path) is \(what); it must be the file 'coalition init' wrote")
        }
        let mode = st.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw CoalitionError(.keyFile, "key file \(path) has permissions \(String(mode, radix: 8)), which let other users read it; run: chmod 600 \(path)")
        }
    }

    /// Loads the signer from a key file.
    /// - Throws: `CoalitionError(.keyFile)` when the file is missing, has loose permissions, or is malformed.
    public static func load(from path: String) throws(CoalitionError) -> Signer {
        try checkPermissions(path, hint: " (run 'coalition init' first?)")
        guard var data = FileManager.default.contents(atPath: path) else {
            throw CoalitionError(.keyFile, "cannot read key file \(path)")
        }
        defer { data.resetBytes(in: 0..<data.count) }
        var body = [UInt8]()
        defer { Memory.wipe(&body) }
        // Skip comment lines; exactly one other non-empty line, the base64 seed. A second one is
        // refused rather than guessed at: it is a botched edit or two keys pasted together.
        for line in data.split(separator: UInt8(ascii: "\n")) {
            var trimmed = line.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\t") }
            defer { trimmed.resetBytes(in: 0..<trimmed.count) }
            if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
            guard body.isEmpty else {
                throw CoalitionError(.keyFile, "key file \(path) is malformed: it holds more than one seed line; keep only the one that 'coalition id' should show")
            }
            body = Array(trimmed)
        }
        guard var seed = Data(base64Encoded: Data(body)) else {
            throw CoalitionError(.keyFile, "key file \(path) is malformed: expected a base64 Ed25519 seed")
        }
        defer { seed.resetBytes(in: 0..<seed.count) }
        guard seed.count == Signer.seedByteCount, let signer = try? Signer(seed: seed) else {
            throw CoalitionError(.keyFile, "key file \(path) is malformed: the seed must be 32 bytes, got \(seed.count)")
        }
        return signer
    }
}

extension KeyFile {
    /// The keys a node rotated away from, kept beside its key file as `<key>.retired-<ID>`.
    /// - Throws: `CoalitionError(.keyFile)` for one with loose permissions or malformed.
    static func loadRetired(besides keyPath: String) throws(CoalitionError) -> [Signer] {
        let dir = (keyPath as NSString).deletingLastPathComponent
        let prefix = (keyPath as NSString).lastPathComponent + ".retired-"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.isEmpty ? "." : dir)) ?? []).filter { $0.hasPrefix(prefix) }.sorted()
        var out: [Signer] = []
        for name in names { out.append(try load(from: (dir.isEmpty ? "" : dir + "/") + name)) }
        return out
    }
}

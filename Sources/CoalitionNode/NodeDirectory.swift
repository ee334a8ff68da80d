import CoalitionCore
import CoalitionCrypto
import CoalitionIngest
import CoalitionStore
import CoalitionQuery
import Foundation
import Logging

/// A node's data directory, opened: its configuration, its member key and its store.
///
/// Layout: `coalition.yaml` (configuration), `member.key` (secret key, 0600) and
/// `coalition.sqlite` (+ WAL files). The directory is created with mode 0700.
public struct NodeDirectory: Sendable {
    /// The configuration file's name inside the data directory.
    public static let configFileName = "coalition.yaml"

    /// The directory's absolute path.
    public let path: String
    /// The parsed configuration.
    public let configuration: NodeConfiguration
    /// This node's member key (the current one, after any rotation).
    public var signer: Signer { keys.current }
    /// This node's member keys, current and retired.
    public let keys: MemberKeys
    /// The store.
    public let store: EntryStore

    /// This node's member ID.
    public var memberID: MemberID { MemberID(publicKey: signer.publicKey) }

    /// The default data directory: `$COALITION_DATA_DIR`, else `~/.coalition`.
    public static var defaultPath: String {
        if let env = ProcessInfo.processInfo.environment["COALITION_DATA_DIR"], !env.isEmpty { return env }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".coalition").path
    }

    /// Creates a new node: directory (0700), key file (0600), configuration and an empty store.
    /// - Throws: `CoalitionError(.configuration)` if a node already exists there.
    @discardableResult
    public static func initialize(at path: String, name: String, listen: String? = nil, apiListen: String? = nil,
                                  logger: Logger = Logger(label: "coalition")) throws -> NodeDirectory {
        let dir = URL(fileURLWithPath: path).standardizedFileURL.path
        let fm = FileManager.default
        let configPath = dir + "/" + configFileName
        guard !fm.fileExists(atPath: configPath) else {
            throw CoalitionError(.configuration, "a node already exists in \(dir) (\(configFileName) is present); use 'coalition id' to see it")
        }
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var config = NodeConfiguration(name: name)
        if let listen { config.listen = try HostPort(parsing: listen).description }
        if let apiListen { config.api.listen = apiListen.isEmpty ? "" : try HostPort(parsing: apiListen).description }
        let signer = Signer()
        try KeyFile.create(at: dir + "/" + config.keyFile, signer: signer)
        let text = config.renderCommented(memberID: MemberID(publicKey: signer.publicKey))
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        logger.info("initialised node", metadata: ["node.name": "\(name)", "member.id": "\(MemberID(publicKey: signer.publicKey))", "data.dir": "\(dir)"])
        return try open(at: dir, logger: logger)
    }

    /// Opens an existing node. The first call in a process also sets the allocator to keep freed
    /// memory for reuse (``AllocatorTuning``), as every process that runs a node should.
    /// - Throws: `CoalitionError` for a missing or invalid configuration or key file.
    public static func open(at path: String, logger: Logger = Logger(label: "coalition")) throws -> NodeDirectory {
        AllocatorTuning.retainFreedMemory()
        let dir = URL(fileURLWithPath: path).standardizedFileURL.path
        let configPath = dir + "/" + configFileName
        let text = try readConfiguration(configPath, in: dir)
        try checkDirectoryPermissions(dir)
        let config = try NodeConfiguration.parse(text, path: configPath)
        let keyPath = resolve(config.keyFile, in: dir)
        var signer = try KeyFile.load(from: keyPath)
        let retired = try KeyFile.loadRetired(besides: keyPath)
        let database = try AppDatabase.open(path: resolve(config.database, in: dir))
        let store = EntryStore(database: database, reader: signer, retired: retired, logger: logger)
        signer = try KeyRotationFiles(keyPath: keyPath, logger: logger).recover(current: signer, store: store)
        store.adoptReader(signer)
        return NodeDirectory(path: dir, configuration: config, keys: MemberKeys(current: signer, retired: retired), store: store)
    }

    /// Validates and writes a new configuration (the commented layout of `coalition init`),
    /// atomically. The running process keeps its configuration until reloaded.
    /// - Throws: `CoalitionError(.configuration)` if the result would not parse.
    public func writeConfiguration(_ config: NodeConfiguration) throws {
        let path = self.path + "/" + Self.configFileName
        let text = config.renderCommented(memberID: memberID)
        _ = try NodeConfiguration.parse(text, path: path)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The authors the configuration accepts: configured members and their successors after key
    /// rotations, plus this node's keys (nil, every author, while no member is configured).
    public var acceptedAuthors: Set<PublicKey>? {
        guard !configuration.members.isEmpty else { return nil }
        var roots: Set<PublicKey> = [signer.publicKey]
        roots.formUnion(keys.retired.map(\.publicKey))
        for m in configuration.members { if let id = try? MemberID(parsing: m.id) { roots.insert(id.publicKey) } }
        let succession = KeySuccession((try? store.keyRotations()) ?? [])
        return succession.lineage(of: roots)
    }

    /// The one way entries enter this node's store from a local command (publishing, importing,
    /// restoring), with the configuration's membership policy. The daemon's gossip has its own,
    /// with the running configuration's members and the peers' quotas.
    public var ingestor: Ingestor {
        let accepted = acceptedAuthors
        return Ingestor(store: store, policy: Ingestor.Policy(acceptedAuthors: { accepted }))
    }

    /// The display name for an author: "self", a configured member's name, or its short ID.
    public func displayName(of author: PublicKey) -> String {
        if author == signer.publicKey || keys.retired.contains(where: { $0.publicKey == author }) { return configuration.name }
        let id = MemberID(publicKey: author)
        if let m = configuration.members.first(where: { (try? MemberID(parsing: $0.id)) == id }) { return m.name }
        return id.short
    }

    /// The text of `coalition.yaml`, telling a missing file from an unreadable or binary one.
    static func readConfiguration(_ path: String, in dir: String) throws(CoalitionError) -> String {
        var st = stat()
        guard stat(path, &st) == 0 else {
            if errno == ENOENT {
                throw CoalitionError(.configuration, "no node in \(dir): \(configFileName) is missing; run 'coalition init --name <platform> --data-dir \(dir)'")
            }
            throw CoalitionError(.configuration, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw CoalitionError(.configuration, "\(path) is not a regular file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoalitionError(.configuration, "cannot read \(path): permission denied or I/O error")
        }
        guard let text = String(data: data, encoding: .utf8), !text.utf8.contains(0) else {
            throw CoalitionError(.configuration, "\(path) is not UTF-8 text (\(data.count) bytes of binary data); restore it from a backup or run 'coalition init' in a new directory")
        }
        return text
    }

    /// Refuses a data directory that other users may write to: whoever can replace its files
    /// can swap the member key, the configuration or the store. A directory writable by its
    /// group is accepted only when that group is the node's own (effective) group, as with a
    /// Kubernetes volume under `fsGroup`, where the pod's group owns the volume.
    static func checkDirectoryPermissions(_ dir: String) throws(CoalitionError) {
        var st = stat()
        guard stat(dir, &st) == 0 else {
            throw CoalitionError(.configuration, "cannot read the data directory \(dir): \(String(cString: strerror(errno)))")
        }
        // A read-only mount (or a volume the kernel turned read-only after I/O errors): SQLite
        // would fail later with "unable to open database file", which names neither.
        if access(dir, W_OK) != 0 && errno == EROFS {
            throw CoalitionError(.configuration, "the data directory \(dir) is on a read-only file system; the node writes its store, WAL and admin socket there: remount it read-write (nothing in it was changed)")
        }
        let mode = st.st_mode & 0o777
        let otherWritable = mode & 0o002 != 0
        let foreignGroupWritable = mode & 0o020 != 0 && st.st_gid != getegid()
        guard !otherWritable && !foreignGroupWritable else {
            let who = otherWritable ? "every user" : "the members of group \(st.st_gid)"
            throw CoalitionError(.configuration, "the data directory \(dir) has permissions \(String(mode, radix: 8)), which let \(who) replace the member key and the store; run: chmod 700 \(dir)")
        }
    }

    static func resolve(_ p: String, in dir: String) -> String {
        p.hasPrefix("/") ? p : dir + "/" + p
    }
}

extension NodeDirectory {
    /// The API tokens of this node.
    public var tokens: TokenStore { TokenStore(database: store.database) }

    /// Creates an API token with scopes named `lookup`, `publish` or `admin`.
    /// - Returns: the token and its plaintext, shown once.
    public func createToken(name: String, scopes: [String]) throws -> (token: APIToken, plaintext: String) {
        let parsed = try Set(scopes.map { s throws(CoalitionError) -> TokenScope in
            guard let scope = TokenScope(rawValue: s.lowercased()) else {
                throw CoalitionError(.invalidField, "unknown scope '\(s)'; use lookup, publish or admin", field: "scope")
            }
            return scope
        })
        return try tokens.create(name: name, scopes: parsed)
    }

    /// The query layer over this node's store, naming authors as this node does: what the CLI
    /// asks (the daemon keeps one of its own, with its indexes loaded).
    public func query() -> QueryService {
        let directory = self
        return QueryService(store: store, names: { directory.displayName(of: $0) })
    }
}

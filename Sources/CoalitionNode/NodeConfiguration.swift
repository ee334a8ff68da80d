import CoalitionCore
import Foundation
import Yams

/// The node's configuration file (`coalition.yaml` in the data directory).
///
/// `coalition init` writes a commented file; the node reads it with Yams. Unknown keys are
/// ignored so that a newer file does not stop an older node. Relative paths are resolved
/// against the data directory.
public struct NodeConfiguration: Codable, Sendable, Equatable {
    /// The platform's display name, shown to other members.
    public var name: String
    /// The secret key file (mode 0600).
    public var keyFile: String = "member.key"
    /// The SQLite database file.
    public var database: String = "coalition.sqlite"
    /// Members this node accepts entries from, besides itself. Empty means every valid author
    /// is accepted (single-node or trial use).
    public var members: [Member] = []

    /// A member of the coalition: its member ID and display name.
    public struct Member: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public init(id: String, name: String) { self.id = id; self.name = name }
    }

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey { case name, keyFile, database, members }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile) ?? "member.key"
        database = try c.decodeIfPresent(String.self, forKey: .database) ?? "coalition.sqlite"
        members = try c.decodeIfPresent([Member].self, forKey: .members) ?? []
    }

    /// Parses YAML text.
    /// - Throws: `CoalitionError(.configuration)` with the parser's message.
    public static func parse(_ yaml: String, path: String) throws(CoalitionError) -> NodeConfiguration {
        do {
            let config = try YAMLDecoder().decode(NodeConfiguration.self, from: yaml)
            guard !config.name.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw CoalitionError(.configuration, "\(path): 'name' must not be empty", field: "name")
            }
            for m in config.members {
                do { _ = try MemberID(parsing: m.id) } catch {
                    throw CoalitionError(.configuration, "\(path): member '\(m.name)': \(error.message)", field: "members")
                }
            }
            return config
        } catch let e as CoalitionError {
            throw e
        } catch {
            throw CoalitionError(.configuration, "\(path) is not a valid configuration: \(error)")
        }
    }

    /// The commented file `coalition init` writes.
    public func renderCommented(memberID: MemberID) -> String {
        """
        # Coalition node configuration.
        # Written by `coalition init`; edit freely. Relative paths are resolved against the
        # directory that holds this file. Unknown keys are ignored.

        # This platform's display name, shown to other members.
        name: \(Self.quoted(name))

        # This node's member ID (derived from the key file; shown here for reference only):
        #   \(memberID)

        # The Ed25519 secret key. It must be mode 0600; the node refuses a looser file.
        keyFile: \(Self.quoted(keyFile))

        # The SQLite database (WAL mode) holding every signed entry and the merged state.
        database: \(Self.quoted(database))

        # Members whose entries this node accepts, besides itself. Leave empty to accept every
        # valid author (trials only). Example:
        #   members:
        #     - id: ABCDEFG-HIJKLMN-OPQRSTU-VWXYZ23-4567ABC-DEFGHIJ-KLMNOPQ-RSTUVWX
        #       name: photo-app
        members: \(members.isEmpty ? "[]" : "")
        \(members.map { "  - id: \($0.id)\n    name: \(Self.quoted($0.name))" }.joined(separator: "\n"))
        """
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

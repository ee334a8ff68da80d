@testable import CoalitionCore
import CoalitionCrypto
import Foundation

/// The JSON shapes of `Protocol/test-vectors/`, shared by the checker and the generator.
struct BodySpec: Codable, Equatable {
    var kind: String?
    var value: String?
    var category: String?
    var severity: UInt8?
    var tlp: UInt8?
    var labels: [String]?
    var expiresAt: Int64?
    var note: String?
    var quality: UInt8?
    var target: String?
    var reason: String?
    var stance: UInt8?
    var successorSeed: String?

    /// Builds the body exactly as specified (no canonicalisation, so the bytes are what the vector says).
    func body(author: PublicKey, type: UInt16) throws -> Body {
        switch type {
        case BodyType.publish:
            return .publish(Signal(validated: try SignalKind(name: kind!), value: value!, category: category!,
                                   severity: Severity(rawValue: severity!)!, tlp: TLP(rawValue: tlp!)!, labels: labels ?? [],
                                   expiresAt: expiresAt, note: note, quality: quality))
        case BodyType.retract:
            return .retract(Retraction(unchecked: try EntryID(hex: target!), reason: reason!))
        case BodyType.opinion:
            return .opinion(Opinion(unchecked: try EntryID(hex: target!), stance: Opinion.Stance(rawValue: stance!)!, note: note))
        case BodyType.keyRotation:
            return .keyRotation(KeyRotation(from: author, to: try Signer(seed: Hex.decode(successorSeed!)!)))
        default:
            fatalError("no structured form for body type \(type)")
        }
    }
}

struct EntryVector: Codable {
    var name: String
    var description: String
    var authorSeed: String
    var authorPublicKey: String
    var authorMemberID: String
    var seq: UInt64
    var prev: String
    var timestamp: Int64
    var bodyType: UInt16
    /// Structured body; absent when the body is given only as `bodyHex` (unknown types, extra fields).
    var body: BodySpec?
    var bodyHex: String
    var signingInputHex: String
    var signature: String
    var entryHex: String
    var id: String
}

struct EntryVectorFile: Codable {
    var description: String
    var vectors: [EntryVector]
}

struct InvalidVector: Codable {
    var name: String
    var description: String
    var entryHex: String
    /// The error code of `CoalitionError.Code` (and `Protocol/SPEC.md` §7.1).
    var error: String
    var field: String?
}

struct InvalidVectorFile: Codable {
    var description: String
    var vectors: [InvalidVector]
}

struct SealedVector: Codable {
    var name: String
    var description: String
    var entryHex: String
    var id: String
    var recipientSeeds: [String]
    var nonRecipientSeed: String
    var innerBodyType: UInt16
    var innerBodyHex: String
}

struct SealedVectorFile: Codable {
    var description: String
    var vectors: [SealedVector]
}

struct MemberIDVectorFile: Codable {
    struct Valid: Codable { var publicKey: String; var memberID: String; var alternateSpellings: [String] }
    struct Invalid: Codable { var text: String; var why: String }
    var description: String
    var valid: [Valid]
    var invalid: [Invalid]
}

struct MergeVectorFile: Codable {
    struct Outcome: Codable { var entry: String; var outcome: String }
    struct SignalState: Codable { var id: String; var kind: String; var value: String; var retractedBy: String?; var verdict: String }
    var description: String
    var readerSeed: String?
    /// Entries in the order delivered.
    var entries: [String]
    var outcomes: [Outcome]
    var signals: [SignalState]
    var equivocators: [String]
    var digestLines: [String]
    var digest: String
}

extension Replica.Outcome {
    /// How merge.json writes a delivery outcome: `applied`, `duplicate`, `pending` or `rejected:<code>`.
    var vectorLabel: String {
        switch self {
        case .applied: "applied"
        case .duplicate: "duplicate"
        case .pending: "pending"
        case .rejected(let code, _): "rejected:\(code.rawValue)"
        }
    }
}

/// `scenarios.json`: several merge-style scenarios, each with an optional reader key.
struct ScenarioVectorFile: Codable {
    struct Scenario: Codable {
        var name: String
        var description: String
        var readerSeed: String?
        var entries: [String]
        var outcomes: [MergeVectorFile.Outcome]
        var signals: [MergeVectorFile.SignalState]
        var equivocators: [String]
        var digestLines: [String]
        var digest: String
    }
    var description: String
    var scenarios: [Scenario]
}

enum VectorFiles {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Protocol/test-vectors")
    }

    static func load<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func write(_ value: some Encodable, _ name: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try (enc.encode(value) + Data("\n".utf8)).write(to: directory.appendingPathComponent(name))
    }

    static var shouldWrite: Bool { ProcessInfo.processInfo.environment["COALITION_WRITE_VECTORS"] == "1" }
}

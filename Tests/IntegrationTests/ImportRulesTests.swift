import Foundation
import Testing

/// The direction of imports between Coalition's own modules: each layer imports only the layers
/// below it, so the CLI goes through the node, the transport never touches the store, and the
/// core stays free of I/O.
@Suite struct ImportRulesTests {
    /// Forbidden edges: importer → the project modules it must not import.
    static let forbidden: [String: Set<String>] = [
        "coalition": ["CoalitionAPI", "CoalitionStore", "CoalitionGossip", "CoalitionIngest"],
        "CoalitionAPI": ["CoalitionGossip", "CoalitionIngest", "CoalitionNode"],
        "CoalitionQuery": ["CoalitionAPI", "CoalitionGossip", "CoalitionIngest", "CoalitionNode"],
        "CoalitionGossip": ["CoalitionStore", "CoalitionIngest", "CoalitionQuery", "CoalitionAPI", "CoalitionNode"],
        "CoalitionIngest": ["CoalitionGossip", "CoalitionQuery", "CoalitionAPI", "CoalitionNode"],
        "CoalitionStore": ["CoalitionGossip", "CoalitionIngest", "CoalitionQuery", "CoalitionAPI", "CoalitionNode"],
    ]
    /// Modules that may import only the listed project modules.
    static let onlyAllowed: [String: Set<String>] = [
        "CoalitionCrypto": ["CSodium"],
        "CoalitionCore": ["CoalitionCrypto"],
        "CoalitionSync": ["CoalitionCore", "CoalitionCrypto"],
        "CoalitionMatch": ["CoalitionCore", "CoalitionCrypto"],
        // The decoders are imported by CoalitionMedia alone, which imports nothing above Match.
        "CoalitionMedia": ["CoalitionCore", "CoalitionCrypto", "CoalitionMatch", "CJPEG", "CPNG", "CWebP", "CGIF", "CAV"],
    ]
    /// C libraries that only one module may import.
    static let soleImporter: [String: String] = [
        "CSodium": "CoalitionCrypto", "CJPEG": "CoalitionMedia", "CPNG": "CoalitionMedia", "CWebP": "CoalitionMedia",
        "CGIF": "CoalitionMedia", "CAV": "CoalitionMedia",
    ]

    /// The project's modules: the directories under `Sources`.
    static func projectModules(_ base: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: base))
    }

    /// The modules named by `import` lines (with or without attributes such as `@testable` or
    /// `@preconcurrency`, and access levels such as `internal import`).
    static func imports(in text: String) -> Set<String> {
        var out = Set<String>()
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ").filter { !$0.hasPrefix("@") }
            guard let i = words.firstIndex(of: "import"), words[..<i].allSatisfy({ ["public", "internal", "package", "private", "fileprivate"].contains($0) }),
                  i + 1 < words.count else { continue }
            // `import struct Foo.Bar` names Foo.
            let name = i + 2 < words.count && ["struct", "class", "enum", "protocol", "func", "var", "typealias"].contains(words[i + 1]) ? words[i + 2] : words[i + 1]
            out.insert(String(name.split(separator: ".")[0]))
        }
        return out
    }

    /// The edges that break a rule, as "importer → imported (file)".
    static func violations(_ edges: [(module: String, file: String, imported: Set<String>)], project: Set<String>) -> [String] {
        var out: [String] = []
        for (module, file, imported) in edges {
            for name in imported.intersection(project).sorted() {
                if forbidden[module]?.contains(name) == true || (onlyAllowed[module].map { !$0.contains(name) } ?? false)
                    || (soleImporter[name].map { $0 != module } ?? false) {
                    out.append("\(module) → \(name) (\(file))")
                }
            }
        }
        return out
    }

    @Test("no module imports a layer it must not: CLI → API or Store, API → Gossip, Gossip → Store, Core → anything but Crypto")
    func importEdges() throws {
        let base = SourceRulesTests.root.appendingPathComponent("Sources").path
        let project = try Self.projectModules(base)
        #expect(project.isSuperset(of: ["coalition", "CoalitionCore", "CoalitionGossip", "CoalitionStore", "CoalitionAPI", "CoalitionQuery"]), "\(project)")
        var edges: [(module: String, file: String, imported: Set<String>)] = []
        for module in project.sorted() {
            let dir = base + "/" + module
            for file in (FileManager.default.enumerator(atPath: dir)?.compactMap { $0 as? String } ?? []) where file.hasSuffix(".swift") {
                edges.append((module, module + "/" + file, Self.imports(in: try String(contentsOfFile: dir + "/" + file, encoding: .utf8))))
            }
        }
        #expect(edges.count > 50)
        let bad = Self.violations(edges, project: project)
        #expect(bad.isEmpty, "forbidden imports:\n\(bad.joined(separator: "\n"))")
    }

    @Test("the check sees each kind of import line and reports each forbidden edge")
    func checkerFindsViolations() {
        let text = """
            import Foundation
            @testable import CoalitionStore
            @preconcurrency import CoalitionAPI
            internal import CoalitionGossip
            import struct CoalitionNode.NodeDirectory
            // import CoalitionQuery (a comment)
            let importance = 1
            """
        #expect(Self.imports(in: text) == ["Foundation", "CoalitionStore", "CoalitionAPI", "CoalitionGossip", "CoalitionNode"])
        let project: Set<String> = ["coalition", "CoalitionCore", "CoalitionCrypto", "CoalitionStore", "CoalitionAPI", "CoalitionGossip", "CoalitionNode"]
        let bad = Self.violations([("coalition", "x.swift", Self.imports(in: text)),
                                   ("CoalitionCore", "y.swift", ["CoalitionCrypto", "CoalitionStore", "Foundation"]),
                                   ("CoalitionAPI", "z.swift", ["CoalitionGossip"]),
                                   ("CoalitionNode", "w.swift", ["CoalitionStore", "CoalitionGossip", "CoalitionAPI"])], project: project)
        #expect(bad == ["coalition → CoalitionAPI (x.swift)", "coalition → CoalitionGossip (x.swift)", "coalition → CoalitionStore (x.swift)",
                        "CoalitionCore → CoalitionStore (y.swift)", "CoalitionAPI → CoalitionGossip (z.swift)"])
    }
}

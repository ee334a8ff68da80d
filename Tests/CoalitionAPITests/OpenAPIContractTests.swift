import CoalitionQuery
import CoalitionAPI
import CoalitionStore
import Foundation
import Hummingbird
import Testing
import Yams

/// `Protocol/openapi.yaml` and the router describe the same operations.
@Suite struct OpenAPIContractTests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationExists() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Protocol/openapi.yaml"), encoding: .utf8)
        let doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: Any])
        var documented = Set<String>()
        for (path, value) in paths {
            for method in ["get", "post", "put", "delete", "patch"] where (value as? [String: Any])?[method] != nil {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let db = try AppDatabase.inMemory()
        let router = buildRouter(APIEnvironment(store: EntryStore(database: db, reader: nil), tokens: TokenStore(database: db), names: { _ in "" }))
        let routed = Set(router.routes.map { route -> String in
            let path = "\(route.path)".split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return "\(route.method) /\(path)"
        })
        #expect(routed == documented, "only in the router: \(routed.subtracting(documented)); only in openapi.yaml: \(documented.subtracting(routed))")
        #expect(routed.count >= 12)
    }
}

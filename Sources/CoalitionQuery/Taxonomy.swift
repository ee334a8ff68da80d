import CoalitionCore
import Foundation

/// The shared harm taxonomy (`Protocol/taxonomy.json`): EU DSA statement categories and
/// keywords, plus marked extensions. A signal's category is `category` or `category/keyword`.
///
/// Publishing checks categories against it; receiving does not (validity accepts any
/// well-formed category, so a newer taxonomy never breaks an older node's chains).
public struct Taxonomy: Sendable, Decodable {
    /// One category and its keywords.
    public struct Category: Sendable, Decodable {
        public let id: String
        public let title: String
        public let dsa: String?
        public let keywords: [Keyword]
    }
    /// One keyword of a category.
    public struct Keyword: Sendable, Decodable {
        public let id: String
        public let title: String
        public let dsa: String?
    }

    public let version: Int
    public let categories: [Category]

    /// The taxonomy built into this binary.
    public static let builtIn: Taxonomy = try! JSONDecoder().decode(Taxonomy.self, from: Data(embeddedJSON.utf8))

    /// Checks that `category` names a category (and keyword) of this taxonomy.
    /// - Throws: `invalidField` on `category`, listing close alternatives.
    public func check(_ category: String) throws(CoalitionError) {
        _ = try SignalRules.checkCategory(category)
        let parts = category.split(separator: "/").map(String.init)
        guard let c = categories.first(where: { $0.id == parts[0] }) else {
            let hint = categories.map(\.id).filter { $0.contains(parts[0]) || parts[0].contains($0) }
            throw CoalitionError(.invalidField, "'\(parts[0])' is not a category of taxonomy v\(version)\(hint.isEmpty ? "" : " (did you mean \(hint.joined(separator: ", "))?)"); see Protocol/TAXONOMY.md", field: "category")
        }
        if parts.count == 2, !c.keywords.contains(where: { $0.id == parts[1] }) {
            throw CoalitionError(.invalidField, "'\(parts[1])' is not a keyword of '\(c.id)'; its keywords are: \(c.keywords.map(\.id).joined(separator: ", "))", field: "category")
        }
    }
}

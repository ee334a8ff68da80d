import CoalitionActions
import CoalitionAlert
import CoalitionCore
import CoalitionStore
import Foundation

extension NodeDirectory {
    /// Webhook endpoints, stored rules and the outbox of this node's store.
    public var outbox: OutboxStore { OutboxStore(database: store.database) }

    /// The content bank over this node's store (its PDQ items load on the first check).
    public func contentBank() -> ContentBank { ContentBank(store: ContentBankStore(database: store.database)) }

    /// Every rule: those of coalition.yaml (`source` config), then the stored ones.
    public func alertRules() throws -> [AlertRule] {
        configuration.alerts.rules.map { r in var r = r; r.source = "config"; return r } + (try AlertEngine.storedRules(outbox))
    }

    /// Adds (or replaces) a webhook endpoint.
    /// - Parameter secret: the signing secret; a new random one when nil.
    /// - Returns: the secret, to show once.
    /// - Throws: `CoalitionError(.invalidField)` for a bad name, URL or secret.
    public func setWebhook(name: String, url: String, secret: String? = nil) throws -> String {
        try AlertRule.checkName(name, field: "name")
        let parsed = try WebhookURL(parsing: url)
        let s = secret ?? WebhookSigner.newSecret()
        _ = try WebhookSigner(secret: s)
        try outbox.setEndpoint(name: name, url: parsed.description, secret: s)
        return s
    }

    /// Adds (or replaces) a stored rule.
    /// - Throws: `CoalitionError(.invalidField)` for a rule that cannot work, `.forbidden` for the
    ///   name of a rule of coalition.yaml, `.notFound` when its destination is no endpoint.
    public func setRule(_ rule: AlertRule) throws {
        var rule = rule
        rule.source = nil
        try rule.validate()
        if configuration.alerts.rules.contains(where: { $0.name == rule.name }) {
            throw CoalitionError(.forbidden, "rule '\(rule.name)' is defined in coalition.yaml; change it there", field: "name")
        }
        guard try outbox.endpoints().contains(where: { $0.name == rule.destination }) else {
            throw CoalitionError(.notFound, "no webhook endpoint '\(rule.destination)'; add it first with 'coalition webhooks add \(rule.destination) <url>'", field: "destination")
        }
        try outbox.setRule(name: rule.name, definition: String(decoding: try JSONEncoder().encode(rule), as: UTF8.self))
    }
}

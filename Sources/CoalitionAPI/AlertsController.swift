import CoalitionActions
import CoalitionAlert
import CoalitionCore
import CoalitionQuery
import CoalitionStore
import Foundation
import Hummingbird

/// `/v1/rules` (admin), `/v1/deliveries` (admin) and `/v1/content` (publish): alert rules,
/// webhook delivery state, and the platform's content bank for retro-hunts.
struct AlertsController: Sendable {
    let env: APIEnvironment
    let reader: RequestReader
    let maxBatch: Int

    struct RuleList: ResponseEncodable { var rules: [AlertRule] }
    struct DeliveryList: ResponseEncodable {
        var endpoints: [EndpointDeliveries]
        var recent: [Delivery]
    }
    struct Delivery: Codable, Sendable {
        var endpoint: String
        var webhookId: String
        var type: String
        var state: String
        var attempts: Int
        var queuedAt: String
        var nextAttemptAt: String?
        var doneAt: String?
        var lastError: String?
    }
    struct ContentRequest: Decodable { var items: [ContentItem] }
    struct ContentResult: ResponseEncodable {
        var registered: Int?
        var removed: Int?
    }

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        let reader = self.reader, env = self.env, maxBatch = self.maxBatch
        @Sendable func actions() throws -> APIActions {
            guard let a = env.actions else { throw Problem(.notFound, "alerting is not enabled on this node") }
            return a
        }
        routes.get("rules") { _, context -> RuleList in
            try context.require(.admin)
            let a = try actions()
            return RuleList(rules: a.configRules().map { r in var r = r; r.source = "config"; return r }
                + (try await env.run { try AlertEngine.storedRules(a.outbox) }))
        }
        routes.post("rules") { request, context -> Response in
            try context.require(.admin)
            let a = try actions()
            var rule: AlertRule = try await reader.decode(request)
            rule.source = nil
            try rule.validate()
            if a.configRules().contains(where: { $0.name == rule.name }) {
                throw Problem(.conflict, "rule '\(rule.name)' is defined in coalition.yaml; change it there", field: "name")
            }
            let encoded = String(decoding: try JSONEncoder().encode(rule), as: UTF8.self)
            let name = rule.name, destination = rule.destination
            try await env.run {
                guard try a.outbox.endpoints().contains(where: { $0.name == destination }) else {
                    throw Problem(.unprocessableContent, "no webhook endpoint '\(destination)'; add it first with 'coalition webhooks add'", field: "destination")
                }
                try a.outbox.setRule(name: name, definition: encoded)
            }
            rule.source = "store"
            return try Self.json(rule, status: .created)
        }
        routes.delete("rules/:name") { _, context -> Response in
            try context.require(.admin)
            let a = try actions()
            let name = try context.parameters.require("name")
            if a.configRules().contains(where: { $0.name == name }) {
                throw Problem(.conflict, "rule '\(name)' is defined in coalition.yaml; remove it there", field: "name")
            }
            guard try await env.run({ try a.outbox.removeRule(name) }) else { throw Problem(.notFound, "no rule '\(name)'", field: "name") }
            return Response(status: .noContent)
        }
        routes.get("deliveries") { request, context -> DeliveryList in
            try context.require(.admin)
            let a = try actions()
            let q = request.uri.queryParameters
            let limit = try q.get("limit").map { try reader.int($0, "limit") } ?? 100
            guard (1...1000).contains(limit) else { throw Problem(.badRequest, "'limit' must be 1–1000", field: "limit") }
            let endpoint = q.get("endpoint")
            return try await env.run {
                DeliveryList(endpoints: try a.outbox.deliveries(), recent: try a.outbox.recent(endpoint: endpoint, limit: limit).map(Self.delivery))
            }
        }
        routes.post("content") { request, context -> ContentResult in
            try context.require(.publish)
            let a = try actions()
            let body: ContentRequest = try await reader.decode(request)
            guard !body.items.isEmpty else { throw Problem(.badRequest, "'items' is empty", field: "items") }
            guard body.items.count <= maxBatch else {
                throw Problem(.contentTooLarge, "at most \(maxBatch) items a request, got \(body.items.count)", field: "items")
            }
            do {
                return ContentResult(registered: try await env.run { try a.bank.register(body.items) })
            } catch let e as CoalitionError {
                throw Problem(e, prefix: "items")
            }
        }
        routes.delete("content") { request, context -> ContentResult in
            try context.require(.publish)
            let a = try actions()
            let q = request.uri.queryParameters
            let id = try reader.required(q, "contentId")
            let kind = q.get("kind"), value = q.get("value")
            guard (kind == nil) == (value == nil) else {
                throw Problem(.badRequest, "give both 'kind' and 'value', or neither (every item of the content ID)", field: kind == nil ? "kind" : "value")
            }
            let removed = try await env.run { try a.bank.unregister(contentId: id, kind: kind, value: value) }
            guard removed > 0 else { throw Problem(.notFound, "nothing registered under content ID '\(id.prefix(256))'", field: "contentId") }
            return ContentResult(removed: removed)
        }
        return routes
    }

    static func delivery(_ m: OutboxMessage) -> Delivery {
        Delivery(endpoint: m.message.endpoint, webhookId: m.message.messageID, type: m.message.eventType,
                 state: m.state == .pending ? "pending" : m.state == .delivered ? "delivered" : "dead", attempts: m.attempts,
                 queuedAt: SignalView.time(m.queuedAt), nextAttemptAt: m.state == .pending ? SignalView.time(m.nextAttemptAt) : nil,
                 doneAt: m.doneAt.map(SignalView.time), lastError: m.lastError)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try e.encode(value))))
    }
}

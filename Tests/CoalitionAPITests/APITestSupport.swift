import CoalitionQuery
import CoalitionAPI
import CoalitionCore
import CoalitionCrypto
import CoalitionStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A publisher for router tests: this store's signer publishes, on the caller's thread.
struct TestPublisher: SignalPublisher {
    let store: EntryStore
    let signer: Signer

    func publish(_ input: SignalInput) throws -> EntryID {
        try store.append([try input.draft()], by: signer)[0].id
    }

    func publish(_ kind: String, _ value: String, category: String) throws -> EntryID {
        try publish(SignalInput(kind: kind, value: value, category: category))
    }

    func retract(_ signal: EntryID, reason: String) throws {
        _ = try store.append([.plain(.retract(try Retraction(target: signal, reason: reason)))], by: signer)
    }

    func opine(_ signal: EntryID, stance: String, note: String?) throws {
        _ = try store.append([.plain(.opinion(try Opinion(target: signal, stance: try Opinion.Stance(name: stance), note: note)))], by: signer)
    }
}

/// An in-memory node with an API and three tokens.
struct APIFixture {
    let store: EntryStore
    let signer = Signer()
    let lookup: String
    let publish: String
    let admin: String
    let tokens: TokenStore
    let app: Application<RouterResponder<APIRequestContext>>

    init(configuration: APIConfiguration = .forTests) throws {
        let db = try AppDatabase.inMemory()
        store = EntryStore(database: db, reader: nil)
        tokens = TokenStore(database: db)
        lookup = try tokens.create(name: "lookup", scopes: [.lookup]).plaintext
        publish = try tokens.create(name: "publisher", scopes: [.lookup, .publish]).plaintext
        admin = try tokens.create(name: "admin", scopes: [.admin]).plaintext
        let env = APIEnvironment(store: store, tokens: tokens, names: { MemberID(publicKey: $0).short },
                                 publisher: TestPublisher(store: store, signer: signer),
                                 status: { Array(#"{"name":"test"}"#.utf8) })
        var c = configuration
        c.port = 0
        c.host = "127.0.0.1"
        app = buildApplication(env, configuration: c)
    }
}

extension APIConfiguration {
    /// The defaults, but with a request deadline far beyond any test's: on a loaded machine the
    /// tests beside these can hold the cooperative pool for many seconds, and a lookup that
    /// waits for a thread is not a lookup that is slow.
    static var forTests: APIConfiguration {
        var c = APIConfiguration()
        c.requestTimeoutSeconds = 600
        return c
    }
}

extension HTTPFields {
    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }
}

extension TestResponse {
    /// The body decoded as `T`; a failure names the status and the start of the body (a
    /// problem+json answer, usually), not only the missing key.
    func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw UnexpectedResponse(description: "\(status.code): \(String(buffer: body).prefix(400)) (\(error))")
        }
    }
    var problem: Problem? { try? JSONDecoder().decode(Problem.self, from: Data(buffer: body)) }
}

struct UnexpectedResponse: Error, CustomStringConvertible {
    let description: String
}

func body(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

struct AnyJSON: Decodable {}

import CoalitionTestSupport
import Foundation
import Testing

/// The API bound to an address other than 127.0.0.1, as in a container or a pod.
@Suite struct APIAddressTests {
    @Test("with api.listen on 127.0.0.2, a client there reaches the API with a token and gets 401 without; 127.0.0.1 is not served")
    func apiOnAnotherAddress() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            try a.editConfiguration(replacing: "listen: \"127.0.0.1:\(a.apiPort)\"", with: "listen: \"127.0.0.2:\(a.apiPort)\"")
            let token = try a.cli(["tokens", "create", "--name", "pipeline", "--scope", "lookup"]).check().stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try a.publish("#AnotherAddress")
            try a.start()
            let lookup = "GET /v1/lookup?kind=trend&value=%23anotheraddress HTTP/1.1\r\nHost: x\r\n"
            let authorized = try rawExchange(host: "127.0.0.2", port: a.apiPort, Array((lookup + "Authorization: Bearer \(token)\r\n\r\n").utf8))
            #expect(authorized?.status == 200)
            let answer = String(decoding: authorized?.body ?? [], as: UTF8.self)
            #expect(answer.contains("\"flagged\":true"), "\(answer.prefix(300))")
            let anonymous = try rawExchange(host: "127.0.0.2", port: a.apiPort, Array((lookup + "\r\n").utf8))
            #expect(anonymous?.status == 401 && anonymous?.problem != nil)
            #expect(throws: POSIXError.self) { try RawConnection(host: "127.0.0.1", port: a.apiPort) }
        }
    }
}

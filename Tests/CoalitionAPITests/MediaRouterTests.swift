@testable import CoalitionAPI
import CoalitionCore
import CoalitionMedia
import CoalitionQuery
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /v1/hash` and `POST /v1/lookup/media` through the router, on the shared media fixtures:
/// raw and multipart bodies, and a specific problem for every kind of bad upload.
@Suite struct MediaRouterTests {
    static let media = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures/media").path

    static func fixture(_ relative: String) throws -> [UInt8] {
        let path = (ProcessInfo.processInfo.environment["COALITION_MEDIA_FIXTURES"] ?? media) + "/" + relative
        return [UInt8](try #require(FileManager.default.contents(atPath: path), "the media fixture \(path) is missing"))
    }

    static func upload(_ token: String, type: String = "application/octet-stream") -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: type]
    }

    static func multipart(_ file: [UInt8], boundary: String = "XyZ-boundary") -> ByteBuffer {
        var b = ByteBuffer()
        b.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nnot the file\r\n")
        b.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
        b.writeBytes(file)
        b.writeString("\r\n--\(boundary)--\r\n")
        return b
    }

    /// The hashes `POST /v1/hash` answers for `body`, which must be a 200.
    static func hashed(_ client: some TestClientProtocol, _ body: ByteBuffer, token: String,
                       type: String = "application/octet-stream") async throws -> MediaHashes.Summary {
        try await client.execute(uri: "/v1/hash", method: .post, headers: upload(token, type: type), body: body) { r in
            #expect(r.status == .ok)
            return try r.json(MediaHashes.Summary.self)
        }
    }

    @Test("an image is hashed from a raw or a multipart body, with the same PDQ hash and quality")
    func hashRawAndMultipart() async throws {
        let f = try APIFixture()
        let photo = try Self.fixture("images/bridge-mods/aaa-orig.jpg")
        try await f.app.test(.router) { client in
            let raw = try await Self.hashed(client, ByteBuffer(bytes: photo), token: f.lookup)
            #expect(raw.media == "image" && raw.format == "jpeg" && raw.bytes == photo.count)
            #expect(raw.hashes.map(\.kind) == ["pdq", "md5", "sha256"])
            #expect((raw.hashes[0].quality ?? 0) >= 50 && raw.hashes[0].value.count == 64)
            let form = try await Self.hashed(client, Self.multipart(photo), token: f.lookup, type: "multipart/form-data; boundary=\"XyZ-boundary\"")
            #expect(form == raw)
        }
    }

    /// The status and detail of the problem answered for `body`.
    static func problem(_ client: some TestClientProtocol, _ uri: String = "/v1/hash", _ body: ByteBuffer, token: String,
                        type: String = "application/octet-stream") async throws -> (Int, String) {
        try await client.execute(uri: uri, method: .post, headers: upload(token, type: type), body: body) { r in
            #expect(r.headers[.contentType] == "application/problem+json")
            return (Int(r.status.code), r.problem?.detail ?? "no problem+json")
        }
    }

    @Test("bad uploads get a specific problem: no token, not media, truncated, too large, empty, bad multipart, bad parameter")
    func badUploads() async throws {
        var configuration = APIConfiguration.forTests
        configuration.maxUploadBytes = 1_000_000
        let f = try APIFixture(configuration: configuration)
        let photo = try Self.fixture("images/bridge-mods/aaa-orig.jpg")
        try #require(photo.count < 1_000_000)
        let video = try Self.fixture("videos/chair-19-sd-bar.mp4")
        let token = f.lookup
        try await f.app.test(.router) { client in
            for uri in ["/v1/hash", "/v1/lookup/media"] {
                var (s, d) = try await Self.problem(client, uri, ByteBuffer(bytes: photo), token: "coal_wrong")
                #expect(s == 401, "\(d)")
                (s, d) = try await Self.problem(client, uri, ByteBuffer(string: "id,kind,value\n1,md5,abc\n"), token: token)
                #expect(s == 415 && d.contains("not a supported image or video"), "\(d)")
                (s, d) = try await Self.problem(client, uri, ByteBuffer(bytes: photo.prefix(photo.count / 3)), token: token)
                #expect(s == 422, "\(d)")
                (s, d) = try await Self.problem(client, uri, ByteBuffer(bytes: video), token: token)
                #expect(s == 413 && d.contains("1000000"), "\(d)")
                (s, d) = try await Self.problem(client, uri, ByteBuffer(), token: token)
                #expect(s == 400 && d.contains("no body"), "\(d)")
            }
            var (s, d) = try await Self.problem(client, "/v1/hash", Self.multipart(photo), token: token, type: "multipart/form-data")
            #expect(s == 400 && d.contains("boundary"), "\(d)")
            var unterminated = Self.multipart(photo)
            unterminated.moveWriterIndex(to: unterminated.writerIndex - 20)
            (s, d) = try await Self.problem(client, "/v1/hash", unterminated, token: token, type: "multipart/form-data; boundary=XyZ-boundary")
            #expect(s == 400 && d.contains("never ends"), "\(d)")
            (s, d) = try await Self.problem(client, "/v1/hash?secondsPerFrame=-1", ByteBuffer(bytes: photo), token: token)
            #expect(s == 400 && d.contains("secondsPerFrame"), "\(d)")
            (s, d) = try await Self.problem(client, "/v1/lookup/media?distance=99", ByteBuffer(bytes: photo), token: token)
            #expect(s == 400 && d.contains("distance"), "\(d)")
            // Still served after all that.
            try await client.execute(uri: "/v1/hash", method: .post, headers: Self.upload(f.lookup), body: ByteBuffer(bytes: photo)) { #expect($0.status == .ok) }
        }
    }

    @Test("an edit of a published photo is found through /v1/lookup/media, with the hashes of the upload")
    func lookupAnEdit() async throws {
        let f = try APIFixture()
        let original = try Self.fixture("images/bridge-mods/aaa-orig.jpg")
        try await f.app.test(.router) { client in
            let hashed = try await Self.hashed(client, ByteBuffer(bytes: original), token: f.lookup)
            let id = try TestPublisher(store: f.store, signer: f.signer).publish("pdq", hashed.hashes[0].value, category: "violence")
            let edit = try Self.fixture("images/bridge-mods/blur-a-lot.jpg")
            let response = try await client.execute(uri: "/v1/lookup/media", method: .post, headers: Self.upload(f.lookup, type: "image/jpeg"),
                                                    body: ByteBuffer(bytes: edit)) { r in
                #expect(r.status == .ok)
                return try r.json(MediaLookupResponse.self)
            }
            #expect(response.media.format == "jpeg")
            #expect(response.results.map(\.kind) == ["pdq", "md5", "sha256"])
            #expect(response.results[0].matches.map(\.signal.id) == [id.hex])
            #expect(response.results[0].flagged)
            #expect(response.results[1].matches.isEmpty && response.results[2].matches.isEmpty)
        }
    }

    @Test("the upload gate admits its limit at once and no more, and frees places")
    func uploadGate() {
        let gate = UploadGate(limit: 2)
        #expect(gate.enter() && gate.enter())
        #expect(!gate.enter())
        gate.leave()
        #expect(gate.enter())
        #expect(!gate.enter())
    }

    @Test("multipart: the field 'file' is found among others, else the first part with a filename; malformed bodies are named")
    func multipartParsing() throws {
        #expect(try MultipartFile.boundary(contentType: "image/jpeg") == nil)
        #expect(try MultipartFile.boundary(contentType: "multipart/form-data; charset=utf-8; boundary=\"a b\"") == "a b")
        #expect(throws: Problem.self) { try MultipartFile.boundary(contentType: "multipart/form-data; boundary=") }
        let content: [UInt8] = Array("\r\n--XyZ-boundar not the end\r\n".utf8) + [0, 255, 13, 10]
        let body = Array(Self.multipart(content).readableBytesView)
        let range = try body.withUnsafeBytes { try MultipartFile.file(in: $0, boundary: "XyZ-boundary") }
        #expect(Array(body[range]) == content)
        let other = Array("--b\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"x.png\"\r\n\r\nPNG\r\n--b--\r\n".utf8)
        let r2 = try other.withUnsafeBytes { try MultipartFile.file(in: $0, boundary: "b") }
        #expect(String(decoding: other[r2], as: UTF8.self) == "PNG")
        for (bad, message) in [("--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--b--\r\n", "no file part"),
                               ("no boundary here", "no part"),
                               ("--b\r\nContent-Disposition: form-data; name=\"file\"", "headers never end")] {
            let bytes = Array(bad.utf8)
            do {
                _ = try bytes.withUnsafeBytes { try MultipartFile.file(in: $0, boundary: "b") }
                Issue.record("\(bad) was accepted")
            } catch let p as Problem {
                #expect(p.detail.contains(message), "\(p.detail)")
            }
        }
    }
}

import CoalitionTestSupport
import Foundation
import Testing

/// `POST /v1/hash` and `POST /v1/lookup/media` on a real `coalition run` process over HTTP, with
/// a Python standard-library client: an edit of a published photo and another cut of a
/// published clip are found, bad uploads get problem+json while the node goes on serving, and
/// no upload's bytes reach the data directory or the node's debug log.
@Suite(.serialized) struct MediaAPITests {
    /// Posts a file (raw, or as the multipart field `file`) and prints the status, then the body.
    static let client = """
        import sys, urllib.request, urllib.error
        url, token, path, mode = sys.argv[1:5]
        data = open(path, "rb").read() if path != "-" else b""
        if mode == "truncated": data = data[: len(data) // 2]
        ctype = "application/octet-stream"
        if mode == "multipart":
            b = "coalition-test-boundary"
            data = (f"--{b}\\r\\nContent-Disposition: form-data; name=\\"file\\"; filename=\\"clip.mp4\\"\\r\\n"
                    f"Content-Type: video/mp4\\r\\n\\r\\n").encode() + data + f"\\r\\n--{b}--\\r\\n".encode()
            ctype = "multipart/form-data; boundary=" + b
        req = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Authorization": "Bearer " + token, "Content-Type": ctype})
        try:
            r = urllib.request.urlopen(req, timeout=3600)
            print(r.status); print(r.read().decode())
        except urllib.error.HTTPError as e:
            print(e.code); print(e.headers.get("Content-Type")); print(e.read().decode())
        """

    /// The status and body of one upload.
    func post(_ node: TestNode, _ path: String, file: String, token: String, mode: String = "raw") async throws -> (status: Int, body: String) {
        let arguments = ["-c", Self.client, "http://127.0.0.1:\(node.apiPort)\(path)", token, file, mode]
        let (code, out) = try await offCooperativePool { try runPython(arguments) }
        #expect(code == 0, "\(out)")
        let lines = out.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        return (Int(lines.first ?? "") ?? -1, lines.count > 1 ? String(lines[1]) : "")
    }

    /// The `id` of the signal printed by `publish --json`.
    func signalID(_ json: String) throws -> String {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return try #require(object["id"] as? String)
    }

    @Test("an edited photo and another cut of a clip are found through the API; bad uploads are refused; no media is stored or logged")
    func lookUpUploads() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            // A debug build hashing every frame of a clip on a loaded machine needs the time.
            try a.editConfiguration(replacing: "mediaTimeoutSeconds: 30", with: "mediaTimeoutSeconds: 3600")
            let media = MediaCLITests.media
            let photo = media + "/images/bridge-mods/aaa-orig.jpg", clip = media + "/videos/chair-20-sd-bar.mp4"
            let photoID = try signalID(try a.cli(["publish", "--file", photo, "--category", "violence", "--json"]).check().stdout)
            let clipID = try signalID(try a.cli(["publish", "--file", clip, "--category", "violence", "--json"]).check().stdout)
            let token = try a.cli(["tokens", "create", "--name", "upload-pipeline", "--scope", "lookup"]).check().stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try a.start()

            let edit = media + "/images/bridge-mods/blur-a-lot.jpg", otherCut = media + "/videos/chair-22-sd-grey-bar.mp4"
            let image = try await post(a, "/v1/lookup/media", file: edit, token: token)
            #expect(image.status == 200, "\(image.body)")
            #expect(image.body.contains("\"id\":\"\(photoID)\""), "\(image.body)")
            let video = try await post(a, "/v1/lookup/media", file: otherCut, token: token, mode: "multipart")
            #expect(video.status == 200, "\(video.body)")
            #expect(video.body.contains("\"kind\":\"vpdq\"") && video.body.contains("\"id\":\"\(clipID)\""), "\(video.body)")
            #expect(!video.body.contains(photoID))
            let hashed = try await post(a, "/v1/hash", file: clip, token: token)
            #expect(hashed.status == 200 && hashed.body.contains("\"media\":\"video\""), "\(hashed.body)")

            // Bad uploads: each its own problem, and the node still serves.
            let notMedia = try await post(a, "/v1/hash", file: SourceRulesTests.root.appendingPathComponent("Package.swift").path, token: token)
            #expect(notMedia.status == 415 && notMedia.body.contains("application/problem+json"), "\(notMedia.body)")
            let truncated = try await post(a, "/v1/lookup/media", file: clip, token: token, mode: "truncated")
            #expect([415, 422].contains(truncated.status) && truncated.body.contains("problem+json"), "\(truncated.body)")
            let wrongToken = try await post(a, "/v1/hash", file: photo, token: "coal_wrong")
            #expect(wrongToken.status == 401)
            let again = try await post(a, "/v1/lookup/media", file: edit, token: token)
            #expect(again.status == 200 && again.body.contains(photoID))
            // A client that sends `Expect: 100-continue` (curl, for uploads over 1 MiB) is told to
            // go on at once, then answered.
            let photoBytes = [UInt8](try #require(FileManager.default.contents(atPath: edit)))
            let c = try RawConnection(port: a.apiPort, timeout: 60)
            c.send("POST /v1/hash HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: image/jpeg\r\n"
                   + "Content-Length: \(photoBytes.count)\r\nExpect: 100-continue\r\n\r\n")
            let interim = String(decoding: c.read(until: { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }, within: 30), as: UTF8.self)
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue"), "\(interim.prefix(200))")
            c.send(photoBytes)
            let final = String(decoding: c.read(until: { String(decoding: $0, as: UTF8.self).contains("\"sha256\"") }, within: 60), as: UTF8.self)
            #expect(final.contains("HTTP/1.1 200") && final.contains("\"pdq\""), "\(final.prefix(300))")
            c.close()
            #expect(a.exitStatus == nil, "the node exited: \(a.log())")

            // 64-byte runs from the middle of each upload are in no file of the data directory and
            // not in the node's debug log.
            a.stop()
            let log = [UInt8](a.log().utf8)
            for path in [edit, otherCut, photo, clip] {
                let bytes = [UInt8](try #require(FileManager.default.contents(atPath: path)))
                let run = Array(bytes[(bytes.count / 2)..<(bytes.count / 2 + 64)])
                for file in FileManager.default.enumerator(atPath: a.dir)?.compactMap({ $0 as? String }) ?? [] {
                    guard let data = FileManager.default.contents(atPath: a.dir + "/" + file) else { continue }
                    #expect(!MediaCLITests.contains([UInt8](data), run), "\(file) holds bytes of \(path)")
                }
                #expect(!MediaCLITests.contains(log, run), "the log holds bytes of \(path)")
            }
        }
    }
}

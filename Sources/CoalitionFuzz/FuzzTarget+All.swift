import CoalitionAPI
import CoalitionCore
import CoalitionCrypto
import CoalitionGossip
import CoalitionMedia
import CoalitionNode
import CoalitionQuery
import CoalitionSync
import Foundation
import NIOCore

extension FuzzTarget {
    /// Every target, in the order `coalition-fuzz list` prints them.
    public static let all: [FuzzTarget] = [
        frame, wire, entry, body, sealed, exportLine, canonical, importCSV, importJSONL, config, lookup, multipart, media,
    ]

    /// The target called `name`.
    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    // MARK: Gossip

    /// The frame decoder of a peer connection: a byte stream cut into frames and decoded, as a
    /// peer's TLS session delivers it. Every frame decoded must re-encode to a frame that
    /// decodes to the same message.
    static let frame = FuzzTarget(
        name: "frame", summary: "the gossip frame decoder over a byte stream (length ‖ type ‖ payload), each message re-encoded",
        maxInputBytes: 256 << 10,
        seeds: { [Seeds.messages.flatMap { $0.frame() }] + Seeds.messages.map { $0.frame() } },
        run: { bytes throws(FuzzFinding) in
            var decoder = FrameDecoder(maxFrameBytes: 64 << 10)
            var buffer = ByteBuffer(bytes: bytes)
            var any = false
            while true {
                let frame: InboundFrame?
                do { frame = try decoder.decode(buffer: &buffer) } catch { return any }
                guard let frame else { return any }
                any = true
                try roundTrip(frame.message)
            }
        })

    /// One wire message from its type byte and payload.
    static let wire = FuzzTarget(
        name: "wire", summary: "WireMessage(type:payload:) for each message type, re-encoded",
        dictionary: [],
        seeds: { Seeds.messages.map { Array($0.frame().dropFirst(4)) } },
        run: { bytes throws(FuzzFinding) in
            guard let type = bytes.first else { return false }
            guard let message = try? WireMessage(type: type, payload: Array(bytes.dropFirst())) else { return false }
            try roundTrip(message)
            return true
        })

    private static func roundTrip(_ message: WireMessage) throws(FuzzFinding) {
        let frame = message.frame()
        guard frame.count >= 5, let again = try? WireMessage(type: frame[4], payload: Array(frame[5...])) else {
            throw FuzzFinding("a decoded \(message) does not decode after re-encoding")
        }
        guard again == message else { throw FuzzFinding("\(message) re-encodes to \(again)") }
    }

    // MARK: Entries

    /// A signed entry: the frame, the signature and the body, as gossip and import receive it.
    static let entry = FuzzTarget(
        name: "entry", summary: "Entry(decoding:), its signature check and its body decoder",
        seeds: { Seeds.entries.map(\.bytes) },
        run: { bytes throws(FuzzFinding) in
            guard let e = try? Entry(decoding: bytes) else { return false }
            guard (try? Entry(decoding: e.bytes))?.id == e.id else { throw FuzzFinding("an entry does not decode to the same ID twice") }
            _ = e.verifySignature()
            return (try? e.decodeBody()) != nil
        })

    /// A body on its own (the first two bytes are its type, the third says whether it was
    /// sealed), so that mutations reach the field decoder without a valid entry frame.
    static let body = FuzzTarget(
        name: "body", summary: "the body decoder of every body type, plain and as sealed inner bodies",
        seeds: { Seeds.entries.map { e in [UInt8(e.bodyType >> 8), UInt8(e.bodyType & 0xFF), 0] + e.bodyBytes } },
        run: { bytes throws(FuzzFinding) in
            guard bytes.count >= 3 else { return false }
            let type = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            do throws(CoalitionError) {
                _ = try BodyCodec.decode(type: type, bytes[3...], inner: bytes[2] & 1 == 1)
                return true
            } catch {
                guard !error.message.isEmpty else { throw FuzzFinding("a body was refused with no message") }
                return false
            }
        })

    /// A sealed envelope opened by one of its recipients: recipient list, sealed keys,
    /// ciphertext and the inner body behind them.
    static let sealed = FuzzTarget(
        name: "sealed", summary: "sealed envelopes decoded and opened with a recipient's key",
        seeds: { Seeds.sealedBodies },
        run: { bytes throws(FuzzFinding) in
            guard case .sealed(let envelope)? = try? BodyCodec.decode(type: BodyType.sealed, bytes[...]) else { return false }
            return envelope.open(with: Seeds.reader, author: Seeds.author.publicKey, seq: 1) != nil
        })

    /// A line of `coalition export`, as `import --signed` reads it.
    static let exportLine = FuzzTarget(
        name: "export-line", summary: "a line of a signed JSONL export (ExportedEntry.decodeEntry)",
        dictionary: [#"""#, "\\u0000", ":", ",", "{", "}", #""entry":"#, #""id":"#, #""seq":"#, "=", "/", "+"],
        seeds: { Seeds.entries.map { Array(ExportedEntry($0).jsonLine().utf8) } },
        run: { bytes throws(FuzzFinding) in
            (try? ExportedEntry.decodeEntry(Substring(decoding: bytes, as: UTF8.self))) != nil
        })

    // MARK: Signals

    /// The canonical form of each kind (URL, punycode, trend, hashes). Canonicalisation must be
    /// idempotent: the canonical value of a canonical value is itself.
    static let canonical = FuzzTarget(
        name: "canonical", summary: "SignalRules.canonicalValue for each kind (URLs, IDNs, trends), checked idempotent",
        maxInputBytes: 8 << 10,
        dictionary: ["https://", "http://", "xn--", "%", "%2F", "..", "/./", ":443", ":80", "@", "#", "?", "[::1]", "ß", "İ", "\u{200B}", "\u{FE0F}", "ﬁ"],
        seeds: {
            let values = ["https://Scam.Example.com:443/a/../login?b=1#x", "http://bücher.example/%7Euser", "HTTP://[::1]:80/",
                          "#BlackoutChallenge", "tide pod challenge 😱", "d41d8cd98f00b204e9800998ecf8427e",
                          String(repeating: "ab", count: 32), "xn--bcher-kva.example", "https://a.b/%2e%2E/c"]
            return values.flatMap { v in (0..<6).map { [UInt8($0)] + Array(v.utf8) } }
        },
        run: { bytes throws(FuzzFinding) in
            guard let first = bytes.first else { return false }
            let kinds: [SignalKind] = [.url, .trend, .pdq, .md5, .sha256, .url]
            let kind = kinds[Int(first) % kinds.count]
            let raw = String(decoding: bytes.dropFirst(), as: UTF8.self)
            let value: String
            do throws(CoalitionError) { value = try SignalRules.canonicalValue(raw, kind: kind) } catch {
                guard !error.message.isEmpty else { throw FuzzFinding("a \(kind) value was refused with no message") }
                return false
            }
            do {
                let again = try SignalRules.canonicalValue(value, kind: kind)
                guard again == value else { throw FuzzFinding("\(kind) canonicalisation is not idempotent: '\(raw)' → '\(value)' → '\(again)'") }
            } catch let finding as FuzzFinding {
                throw finding
            } catch {
                throw FuzzFinding("the canonical \(kind) value '\(value)' of '\(raw)' is itself refused: \(error)")
            }
            return true
        })

    /// A CSV file for `coalition import`: header, quoting, every column, and the signal rules
    /// behind them.
    static let importCSV = FuzzTarget(
        name: "import-csv", summary: "coalition import's CSV reader: header, quoting and each row to a signal draft",
        dictionary: [#"""#, #""""#, ",", "\n", "\r\n", "kind", "value", "category", "severity", "tlp", "labels", "expires_at", "note", "quality", "recipients", "pdq", "url", "trend", "red", "amber+strict", "critical"],
        seeds: {
            [Array("""
                kind,value,category,severity,tlp,labels,expires_at,note,quality,recipients
                url,https://scam.example.com/login,scams_and_fraud/phishing,high,green,"a,b",2030-01-01T00:00:00Z,"a ""quoted"" note",,
                trend,#blackoutchallenge,protection_of_minors/unsafe_challenges,critical,amber,,,,,
                pdq,\(String(repeating: "f0", count: 32)),violence,medium,white,,,,90,
                md5,d41d8cd98f00b204e9800998ecf8427e,violence,,,,,,,

                """.utf8),
             Array("kind,value,category\ntrend,tide pod challenge,protection_of_minors/unsafe_challenges\n".utf8)]
        },
        run: { bytes throws(FuzzFinding) in
            try importLines(bytes, csv: true)
        })

    /// A JSONL file for `coalition import`.
    static let importJSONL = FuzzTarget(
        name: "import-jsonl", summary: "coalition import's JSONL reader: each line to a signal draft",
        dictionary: [#"""#, "{", "}", "[", "]", ":", ",", "null", "true", "\\u00e9", "\\ud83d", #""kind":"#, #""value":"#, #""labels":["#, #""quality":"#, "1e999"],
        seeds: {
            [Array("""
                {"kind":"url","value":"https://scam.example.com/login","category":"scams_and_fraud/phishing","severity":"high","labels":["a","b"]}
                {"kind":"trend","value":"#blackoutchallenge","category":"protection_of_minors/unsafe_challenges","tlp":"amber","note":"x","quality":5}
                {"kind":"pdq","value":"\(String(repeating: "0f", count: 32))","category":"violence","expiresAt":"2030-01-01T00:00:00Z"}

                """.utf8)]
        },
        run: { bytes throws(FuzzFinding) in
            try importLines(bytes, csv: false)
        })

    /// Splits an import file into lines as `SignalImporter.run` does: with `csv`, the first
    /// line is the header, and a bad header ends the file. Each row goes through its parser and
    /// the signal rules; a refusal must say why. True when some row was accepted.
    private static func importLines(_ bytes: [UInt8], csv: Bool) throws(FuzzFinding) -> Bool {
        var header: [String]?
        var any = false
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            var line = Substring(decoding: raw, as: UTF8.self)
            if line.hasSuffix("\r") { line = line.dropLast() }
            guard !line.isEmpty, String(validating: raw, as: UTF8.self) != nil else { continue }
            do throws(CoalitionError) {
                if csv, header == nil {
                    header = try SignalImporter.parseHeader(line, line: 1)
                    continue
                }
                let input = try csv ? SignalImporter.csvInput(line, header: header!) : SignalImporter.jsonInput(line)
                _ = try input.draft()
                any = true
            } catch {
                guard !error.message.isEmpty else { throw FuzzFinding("an import line was refused with no message") }
                if csv, header == nil { return any }
            }
        }
        return any
    }

    // MARK: Configuration

    /// `coalition.yaml`, through Yams and the configuration's own validation.
    static let config = FuzzTarget(
        name: "config", summary: "coalition.yaml: YAML parsing (Yams) and the configuration's validation",
        dictionary: [": ", "\n  ", "- ", "&a ", "*a", "<<: ", "!!str ", "!!binary ", "'", #"""#, "{", "[", "~", "0x", "1e9", ".inf", "---", "..."],
        seeds: {
            let id = MemberID(publicKey: Seeds.author.publicKey)
            return [Array(NodeConfiguration(name: "fuzz").renderCommented(memberID: id).utf8),
                    Array("node:\n  name: a\nlisten: 127.0.0.1:7420\npeers:\n  - id: \(id)\n    address: 127.0.0.1:7421\n".utf8)]
        },
        run: { bytes throws(FuzzFinding) in
            do throws(CoalitionError) {
                _ = try NodeConfiguration.parse(String(decoding: bytes, as: UTF8.self), path: "coalition.yaml")
                return true
            } catch {
                guard !error.message.isEmpty else { throw FuzzFinding("a configuration was refused with no message") }
                return false
            }
        })

    // MARK: API

    /// `POST /v1/lookup` bodies: the one-pass parser, which must agree with `JSONDecoder`
    /// whenever it answers.
    static let lookup = FuzzTarget(
        name: "lookup", summary: "POST /v1/lookup bodies: the fast parser, checked against JSONDecoder",
        dictionary: [#"""#, "{", "}", "[", "]", ":", ",", " ", "null", "true", "false", "-0", "1e3", "\\n", #""items":"#, #""kind":"#, #""value":"#, #""distance":"#, #""minQuality":"#, #""includeInactive":"#],
        seeds: {
            [Array(#"{"items":[{"kind":"pdq","value":"\#(String(repeating: "ab", count: 32))"},{"kind":"md5","value":"d41d8cd98f00b204e9800998ecf8427e"}],"distance":31,"minQuality":50,"includeInactive":false}"#.utf8),
             Array(#"{ "items" : [ { "value" : "https://a.example/" , "kind" : "url" } ] , "includeInactive" : true }"#.utf8),
             Array(#"{"items":[]}"#.utf8)]
        },
        run: { bytes throws(FuzzFinding) in
            let fast = bytes.withUnsafeBytes(LookupRequestParser.parse)
            let slow = try? JSONDecoder().decode(LookupRequest.self, from: Data(bytes))
            guard let fast else { return slow != nil }
            guard let slow else { throw FuzzFinding("the fast lookup parser accepted a body JSONDecoder refuses") }
            guard fast.items.map(\.kind) == slow.items.map(\.kind), fast.items.map(\.value) == slow.items.map(\.value),
                  fast.distance == slow.distance, fast.minQuality == slow.minQuality, fast.includeInactive == slow.includeInactive else {
                throw FuzzFinding("the fast lookup parser and JSONDecoder disagree")
            }
            return true
        })

    /// `multipart/form-data` uploads: the first line is the Content-Type, the rest the body.
    static let multipart = FuzzTarget(
        name: "multipart", summary: "multipart/form-data uploads: the boundary parameter and the file part",
        dictionary: ["\r\n", "--", "--XyZ", "--XyZ--", "Content-Disposition: form-data; ", "name=\"file\"", "filename=\"a.jpg\"", "; boundary=", "\""],
        seeds: {
            [Array("multipart/form-data; boundary=XyZ\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\u{FF}\u{D8}\u{FF}data\r\n--XyZ--\r\n".utf8),
             Array("multipart/form-data; boundary=\"q q\"\n--q q\r\nContent-Disposition: form-data; filename=\"v.mp4\"\r\n\r\nxx\r\n--q q--".utf8)]
        },
        run: { bytes throws(FuzzFinding) in
            let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
            let body = Array(bytes[min(bytes.endIndex, newline + 1)...])
            guard let boundary = try? MultipartFile.boundary(contentType: contentType) else { return false }
            guard let range = try? body.withUnsafeBytes({ try MultipartFile.file(in: $0, boundary: boundary) }) else { return false }
            guard range.lowerBound >= 0, range.upperBound <= body.count else { throw FuzzFinding("the file part \(range) lies outside a body of \(body.count) bytes") }
            return true
        })

    // MARK: Media

    /// Uploaded images and videos: format sniffing, the decoders (libjpeg-turbo, libpng,
    /// giflib, libwebp, FFmpeg) within their limits, and PDQ/vPDQ. Seeds are the shared media
    /// fixtures, given as a corpus directory.
    static let media = FuzzTarget(
        name: "media", summary: "uploaded media: sniffing, the image and video decoders within their limits, PDQ and vPDQ",
        maxInputBytes: 256 << 10,
        seeds: { [] },
        run: { bytes throws(FuzzFinding) in
            do throws(CoalitionError) {
                _ = try Seeds.hasher.hash(bytes)
                return true
            } catch {
                guard !error.message.isEmpty else { throw FuzzFinding("media was refused with no message") }
                return false
            }
        })
}

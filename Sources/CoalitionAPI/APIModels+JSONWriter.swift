import CoalitionQuery
import HTTPTypes
import Hummingbird

// The lookup answers written without `JSONEncoder` (see `JSONWriter`). Keys are in sorted order.

extension SignalView.Source: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { j in
            j.member("author", author)
            j.member("authorName", authorName)
            j.member("publishedAt", publishedAt)
            j.member("signal", signal)
            j.member("status", status)
        }
    }
}

extension SignalView.OpinionView: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { j in
            j.member("at", at)
            j.member("author", author)
            j.member("authorName", authorName)
            j.member("note", note)
            j.member("stance", stance)
        }
    }
}

extension SignalView: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { j in
            j.member("author", author)
            j.member("authorName", authorName)
            j.member("category", category)
            j.member("expiresAt", expiresAt)
            j.member("id", id)
            j.member("kind", kind)
            j.member("labels", labels)
            j.member("note", note)
            j.key("opinions")
            j.array(opinions) { w, o in o.write(to: &w) }
            j.member("publishedAt", publishedAt)
            j.member("quality", quality)
            j.member("restricted", restricted)
            j.member("retractedBy", retractedBy)
            j.member("retractionReason", retractionReason)
            j.member("severity", severity)
            j.key("sources")
            j.array(sources) { w, s in s.write(to: &w) }
            j.member("status", status)
            j.member("tlp", tlp)
            j.member("value", value)
            j.member("verdict", verdict)
        }
    }
}

extension SignalMatch: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { j in
            j.member("distance", distance)
            j.key("signal")
            signal.write(to: &j)
        }
    }
}

extension LookupResult: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { j in
            j.member("canonical", canonical)
            j.member("flagged", flagged)
            j.member("kind", kind)
            j.key("matches")
            j.array(matches) { w, m in m.write(to: &w) }
            j.member("override", override)
            j.member("value", value)
        }
    }
}

extension LookupResponse: JSONWritable {
    func write(to json: inout JSONWriter) {
        json.object { j in
            j.key("results")
            j.array(results) { w, r in r.write(to: &w) }
            if let registered {
                j.key("registered")
                j.int(registered)
            }
        }
    }

    /// The answer written by ``JSONWriter`` rather than the context's `JSONEncoder`: the same
    /// bytes, at a fraction of the cost (lookups are the API's hot path).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = JSONWriter(capacity: 256 + results.count * 160)
        write(to: &json)
        let buffer = ByteBuffer(bytes: json.bytes)
        var headers = HTTPFields()
        headers.reserveCapacity(4)  // room for the server and date headers added later
        headers.append(.init(name: .contentType, value: "application/json; charset=utf-8"))
        headers.append(.init(name: .contentLength, value: String(buffer.readableBytes)))
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }
}

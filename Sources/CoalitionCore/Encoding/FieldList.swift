import Foundation

/// The fields of an entry body: `tag (u8) ‖ length (u32 BE) ‖ value`, tags strictly ascending.
///
/// Tags this version does not define are kept (they are signed) but ignored, so that a newer
/// node may add optional fields without breaking older nodes.
struct FieldList {
    /// Values of tags 0–15 (every tag version 1 defines), by tag; higher tags are only ordered-checked.
    private var values: [ArraySlice<UInt8>?] = Array(repeating: nil, count: 16)

    /// Parses a body.
    /// - Throws: `malformedEntry` when a field is truncated or tags are not strictly ascending.
    init(parsing body: ArraySlice<UInt8>) throws(CoalitionError) {
        var reader = ByteReader(body)
        var lastTag: Int = -1
        while !reader.isAtEnd {
            guard let tag = reader.u8(), let len = reader.u32(), let value = reader.take(Int(len)) else {
                throw CoalitionError(.malformedEntry, "a body field is truncated", field: "body")
            }
            guard Int(tag) > lastTag else {
                throw CoalitionError(.malformedEntry, "body field tags must be strictly ascending (tag \(tag) after \(lastTag))", field: "body")
            }
            lastTag = Int(tag)
            if tag < 16 { values[Int(tag)] = value }
        }
    }

    func has(_ tag: UInt8) -> Bool { values[Int(tag)] != nil }

    func bytes(_ tag: UInt8, _ name: String, count: Int? = nil) throws(CoalitionError) -> [UInt8]? {
        guard let v = values[Int(tag)] else { return nil }
        if let count, v.count != count {
            throw CoalitionError(.malformedEntry, "must be \(count) bytes, got \(v.count)", field: name)
        }
        return Array(v)
    }

    func requireBytes(_ tag: UInt8, _ name: String, count: Int? = nil) throws(CoalitionError) -> [UInt8] {
        guard let v = try bytes(tag, name, count: count) else {
            throw CoalitionError(.malformedEntry, "is required", field: name)
        }
        return v
    }

    func text(_ tag: UInt8, _ name: String, maxBytes: Int) throws(CoalitionError) -> String? {
        guard let v = values[Int(tag)] else { return nil }
        return try Self.decodeText(v, name, maxBytes: maxBytes)
    }

    func requireText(_ tag: UInt8, _ name: String, maxBytes: Int) throws(CoalitionError) -> String {
        guard let t = try text(tag, name, maxBytes: maxBytes) else {
            throw CoalitionError(.malformedEntry, "is required", field: name)
        }
        return t
    }

    /// A field's bytes, checked to be exactly `count` long, without copying them.
    private func slice(_ tag: UInt8, _ name: String, count: Int) throws(CoalitionError) -> ArraySlice<UInt8>? {
        guard let v = values[Int(tag)] else { return nil }
        guard v.count == count else { throw CoalitionError(.malformedEntry, "must be \(count) bytes, got \(v.count)", field: name) }
        return v
    }

    func u8(_ tag: UInt8, _ name: String) throws(CoalitionError) -> UInt8? {
        try slice(tag, name, count: 1)?.first
    }

    func i64(_ tag: UInt8, _ name: String) throws(CoalitionError) -> Int64? {
        guard let b = try slice(tag, name, count: 8) else { return nil }
        var r = ByteReader(b)
        return r.i64()
    }

    func texts(_ tag: UInt8, _ name: String, maxItems: Int, maxBytes: Int) throws(CoalitionError) -> [String]? {
        guard let v = values[Int(tag)] else { return nil }
        var reader = ByteReader(v)
        var out: [String] = []
        while !reader.isAtEnd {
            guard let len = reader.u32(), let item = reader.take(Int(len)) else {
                throw CoalitionError(.malformedEntry, "a list item is truncated", field: name)
            }
            out.append(try Self.decodeText(item, name, maxBytes: maxBytes))
            guard out.count <= maxItems else {
                throw CoalitionError(.tooLarge, "at most \(maxItems) items", field: name)
            }
        }
        return out
    }

    /// Strict UTF-8 with no NUL, within a byte limit.
    static func decodeText(_ v: ArraySlice<UInt8>, _ name: String, maxBytes: Int) throws(CoalitionError) -> String {
        guard v.count <= maxBytes else {
            throw CoalitionError(.tooLarge, "is \(v.count) bytes; the limit is \(maxBytes)", field: name)
        }
        // Decoding repairs invalid UTF-8, so the text is valid exactly when it kept every byte.
        // (`String(validating:as:)` is generic inside the standard library and looked up type
        // metadata for every text field of every received entry.)
        var s = v.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
        // Compared as two buffers: iterating `String.UTF8View` byte by byte cost more than decoding.
        let kept = s.withUTF8 { decoded in
            v.withUnsafeBytes { input in
                decoded.count == input.count && (input.isEmpty || memcmp(decoded.baseAddress!, input.baseAddress!, input.count) == 0)
            }
        }
        guard kept else {
            throw CoalitionError(.malformedEntry, "is not valid UTF-8", field: name)
        }
        guard !v.contains(0) else {
            throw CoalitionError(.malformedEntry, "contains a NUL byte", field: name)
        }
        return s
    }
}

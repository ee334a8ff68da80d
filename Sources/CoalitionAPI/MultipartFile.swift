import Foundation

/// The file part of a `multipart/form-data` body (RFC 7578), found without copying: the part
/// named `file`, or else the first part that carries a `filename`. Only what an upload form or
/// `curl -F file=@photo.jpg` sends is understood; anything else is refused with a message that
/// says what was expected.
package enum MultipartFile {
    /// The boundary of a `multipart/form-data` content type, or nil if the type is another.
    /// - Throws: a 400 ``Problem`` when the type is multipart but names no usable boundary.
    package static func boundary(contentType: String) throws -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let type = parts.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parts.dropFirst() {
            guard let eq = parameter.firstIndex(of: "=") else { continue }
            guard parameter[..<eq].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = Substring(parameter[parameter.index(after: eq)...])
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = value.dropFirst().dropLast() }
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(value.utf8.count) else { break }
            return String(value)
        }
        throw Problem(.badRequest, "a multipart/form-data body needs a boundary parameter of 1 to 70 characters", field: "body")
    }

    /// The byte range of the file part's content in `body`.
    /// - Throws: a 400 ``Problem`` naming what is wrong (no part, no file part, a part that never ends).
    package static func file(in body: UnsafeRawBufferPointer, boundary: String) throws -> Range<Int> {
        let delimiter = Array("--\(boundary)".utf8)
        let bytes = body.bindMemory(to: UInt8.self)
        guard var at = find(delimiter, in: bytes, from: 0) else {
            throw Problem(.badRequest, "the multipart body has no part (boundary not found)", field: "body")
        }
        var firstWithName: Range<Int>?
        while true {
            at += delimiter.count
            // "--" after a delimiter closes the body.
            if at + 1 < bytes.count, bytes[at] == UInt8(ascii: "-"), bytes[at + 1] == UInt8(ascii: "-") { break }
            guard let headersEnd = find(Array("\r\n\r\n".utf8), in: bytes, from: at) else {
                throw Problem(.badRequest, "a multipart part's headers never end", field: "body")
            }
            let headers = String(decoding: UnsafeBufferPointer(rebasing: bytes[at..<headersEnd]), as: UTF8.self).lowercased()
            let start = headersEnd + 4
            guard let next = find(Array("\r\n--\(boundary)".utf8), in: bytes, from: start) else {
                throw Problem(.badRequest, "a multipart part never ends (the closing boundary is missing: a truncated upload?)", field: "body")
            }
            let disposition = headers.split(separator: "\r\n").first { $0.hasPrefix("content-disposition:") } ?? ""
            if disposition.contains("name=\"file\"") { return start..<next }
            if firstWithName == nil, disposition.contains("filename=") { firstWithName = start..<next }
            at = next + 2
        }
        if let firstWithName { return firstWithName }
        throw Problem(.badRequest, "the multipart body has no file part: send it as the field 'file'", field: "file")
    }

    /// The first index of `needle` in `haystack` at or after `from`.
    private static func find(_ needle: [UInt8], in haystack: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let first = needle.first, haystack.count >= needle.count else { return nil }
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

/// Splits one CSV line into fields (RFC 4180 quoting within a line: `"a,b"`, `""` for a quote).
///
/// Import files are read line by line so that every error can name its line number; a quoted
/// field therefore cannot span lines. A full CSV package would hide line numbers behind
/// multi-line records, which is the one thing the import report must give an admin.
enum CSVLine {
    /// - Returns: the fields, or nil when a quote is left open (a truncated line).
    static func split(_ line: Substring) -> [String]? {
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if inQuotes {
                if c == "\"" {
                    let next = line.index(after: i)
                    if next < line.endIndex && line[next] == "\"" { field.append("\""); i = next } else { inQuotes = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                inQuotes = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(c)
            }
            i = line.index(after: i)
        }
        guard !inQuotes else { return nil }
        fields.append(field)
        return fields
    }
}

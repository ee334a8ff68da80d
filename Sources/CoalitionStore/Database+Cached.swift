import GRDB

/// Shorthands over GRDB's statement cache for the hot ingest path: statements are prepared once
/// per connection and reused.
extension Database {
    func run(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    func row(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func rows(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
    }

    func flag(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> Bool? {
        try Bool.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }
}

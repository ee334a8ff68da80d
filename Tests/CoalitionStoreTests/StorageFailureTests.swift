import CoalitionStore
import Foundation
import GRDB
import Testing

@Suite struct StorageFailureTests {
    @Test func aWriteToAReadOnlyDatabaseIsClassifiedAsReadOnly() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ro-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE t (x)") }
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(path: path, configuration: config)
        do {
            try db.write { try $0.execute(sql: "INSERT INTO t VALUES (1)") }
            Issue.record("the write succeeded")
        } catch {
            #expect(StorageFailure.isReadOnly(error))
            #expect(!StorageFailure.isDiskFull(error))
        }
        #expect(!StorageFailure.isReadOnly(CocoaError(.fileNoSuchFile)))
    }
}

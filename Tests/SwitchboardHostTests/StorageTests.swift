import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("SQLite storage")
struct StorageTests {
    private func database() throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: try TestEnvironment.temporaryDirectory().appendingPathComponent("s.sqlite").path)
        try Migrations.apply(to: database)
        return database
    }

    @Test("migrations apply once and are recorded")
    func migrationsAreIdempotent() throws {
        let database = try database()
        #expect(try Migrations.apply(to: database).isEmpty)
        let tables = try database.read { try $0.query("SELECT name FROM sqlite_master WHERE type = 'table'") }.compactMap { $0.string("name") }
        for table in ["tenants", "plugin_records", "contacts", "contact_labels", "jobs", "messages", "audit_log"] {
            #expect(tables.contains(table))
            let columns = try database.read { try $0.query("SELECT name FROM pragma_table_info($1)", [.text(table)]) }
            #expect(columns.first?.string("name") == "tenant_id", "\(table) must lead with tenant_id")
        }
    }

    @Test("WAL mode is on")
    func walMode() throws {
        let database = try database()
        #expect(try database.read { try $0.query("PRAGMA journal_mode") }.first?.string("journal_mode") == "wal")
    }

    @Test("the record store puts, gets, queries by prefix and field, pages and deletes")
    func recordStore() throws {
        let store = RecordStore(database: try database())
        let scope = RecordStore.Scope(tenantID: "t", pluginID: "p")
        for (key, stage) in [("lead-1", "new"), ("lead-2", "won"), ("lead-3", "new"), ("other", "new")] {
            try store.put(scope, collection: "leads", key: key, value: #"{"stage":"\#(stage)","n":1,"hot":true}"#)
        }
        try store.put(scope, collection: "leads", key: "lead-1", value: #"{"stage":"lost","n":2,"hot":false}"#)
        #expect(try store.get(scope, collection: "leads", key: "lead-1") == #"{"stage":"lost","n":2,"hot":false}"#)

        let page = try store.query(scope, collection: "leads", .init(prefix: "lead-", limit: 2))
        #expect(page.records.map(\.key) == ["lead-1", "lead-2"])
        #expect(page.next == "lead-2")
        let rest = try store.query(scope, collection: "leads", .init(prefix: "lead-", after: page.next, limit: 2))
        #expect(rest.records.map(\.key) == ["lead-3"])
        #expect(rest.next == nil)

        let fresh = try store.query(scope, collection: "leads", .init(where: ["stage": "new"]))
        #expect(fresh.records.map(\.key) == ["lead-3", "other"])
        #expect(try store.query(scope, collection: "leads", .init(where: ["n": .number(2)])).records.map(\.key) == ["lead-1"])
        #expect(try store.query(scope, collection: "leads", .init(where: ["hot": .bool(true)])).records.count == 3)

        #expect(try store.delete(scope, collection: "leads", key: "lead-1"))
        #expect(try !store.delete(scope, collection: "leads", key: "lead-1"))
        #expect(try store.get(scope, collection: "leads", key: "lead-1") == nil)
        // Another plugin of the same tenant sees nothing.
        #expect(try store.query(.init(tenantID: "t", pluginID: "q"), collection: "leads", .init()).records.isEmpty)
    }

    @Test("a unique job key schedules one job until it is cancelled")
    func uniqueJobs() throws {
        let jobs = JobStore(database: try database())
        let first = try jobs.schedule(tenantID: "t", pluginID: "p", kind: "followup_24h", runAt: 1000, payload: .null, uniqueKey: "conv-1:followup", maxAttempts: 5)
        let second = try jobs.schedule(tenantID: "t", pluginID: "p", kind: "followup_24h", runAt: 2000, payload: .null, uniqueKey: "conv-1:followup", maxAttempts: 5)
        #expect(first.created && !second.created && first.id == second.id)
        // The same key in another tenant is another job.
        #expect(try jobs.schedule(tenantID: "u", pluginID: "p", kind: "followup_24h", runAt: 1000, payload: .null, uniqueKey: "conv-1:followup", maxAttempts: 5).created)
        #expect(try jobs.cancel(tenantID: "t", pluginID: "p", id: nil, uniqueKey: "conv-1:followup") == 1)
        #expect(try jobs.schedule(tenantID: "t", pluginID: "p", kind: "followup_24h", runAt: 3000, payload: .null, uniqueKey: "conv-1:followup", maxAttempts: 5).created)
        #expect(try jobs.list(tenantID: "t", pluginID: "p", status: "pending", kind: nil).count == 1)
        #expect(try jobs.list(tenantID: "t", pluginID: "p", status: "cancelled", kind: nil).count == 1)
    }

    @Test("a failed transaction writes nothing")
    func rollback() throws {
        let database = try database()
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try database.transaction { connection in
                try connection.execute("INSERT INTO audit_log (tenant_id, id, occurred_at, actor, action) VALUES ('t', '1', 0, 'a', 'b')")
                throw Boom()
            }
        }
        #expect(try database.read { try $0.query("SELECT COUNT(*) AS n FROM audit_log") }.first?.int("n") == 0)
    }

    @Test("database URLs are parsed, and a bad one is a clear error")
    func databaseURLs() throws {
        #expect(try DatabaseLocation(url: "sqlite:///var/lib/sb.sqlite") == .sqlite(path: "/var/lib/sb.sqlite"))
        #expect(try DatabaseLocation(url: "sqlite://data/x.sqlite") == .sqlite(path: "data/x.sqlite"))
        #expect(try DatabaseLocation(url: "postgres://u:p@localhost:5432/db") == .postgres(url: "postgres://u:p@localhost:5432/db"))
        #expect(throws: ConfigurationError.self) { try DatabaseLocation(url: "mysql://x") }
    }
}

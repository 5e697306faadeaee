import Foundation
import Testing

@testable import SwitchboardHost

/// What only the SQLite driver has, and database configuration. The shared behaviour is in StorageConformanceTests.
@Suite("SQLite storage and database configuration")
struct StorageTests {
    private func database() throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: try TestEnvironment.temporaryDirectory().appendingPathComponent("s.sqlite").path)
        try Migrations.apply(to: database)
        return database
    }

    @Test("WAL mode is on")
    func walMode() throws {
        let database = try database()
        #expect(try database.read { try $0.query("PRAGMA journal_mode") }.first?.string("journal_mode") == "wal")
    }

    @Test("the log is checkpointed beside the commits: pages reach the database file and the log starts over")
    func checkpointsOffTheCommitPath() async throws {
        let path = try TestEnvironment.temporaryDirectory().appendingPathComponent("c.sqlite").path
        let database = try SQLiteDatabase(path: path)
        try Migrations.apply(to: database)
        func size(_ file: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int) ?? 0 }
        let before = size(path)
        let value = String(repeating: "x", count: 3000)
        // Each commit adds a page or two of log; SQLite's own checkpoint is off, so only the checkpointer copies them.
        for index in 0..<3000 {
            try database.transaction {
                try $0.execute(
                    "INSERT INTO plugin_records (tenant_id, plugin_id, collection, record_key, value, created_at, updated_at) VALUES ('t', 'p', 'c', $1, $2, 0, 0)",
                    [.text("k\(index)"), .text(value)])
            }
        }
        #expect(try await eventually { size(path) > before + 4_000_000 }, "the records' pages were copied into the database file")
        // Once everything is copied, the next commit writes the log from its start again: it stays small.
        let logged = size(path + "-wal")
        for index in 0..<200 {
            try database.transaction {
                try $0.execute("UPDATE plugin_records SET value = $2 WHERE tenant_id = 't' AND record_key = $1", [.text("k\(index)"), .text(value)])
            }
        }
        #expect(size(path + "-wal") <= logged, "\(size(path + "-wal")) > \(logged)")
    }

    @Test("database URLs are parsed, and a bad one is a clear error")
    func databaseURLs() throws {
        #expect(try DatabaseLocation(url: "sqlite:///var/lib/sb.sqlite") == .sqlite(path: "/var/lib/sb.sqlite"))
        #expect(try DatabaseLocation(url: "sqlite://data/x.sqlite") == .sqlite(path: "data/x.sqlite"))
        #expect(try DatabaseLocation(url: "postgres://u:p@localhost:5432/db") == .postgres(url: "postgres://u:p@localhost:5432/db"))
        #expect(throws: ConfigurationError.self) { try DatabaseLocation(url: "mysql://x") }
    }

    @Test("the PostgreSQL pool size comes from SWITCHBOARD_DB_POOL_SIZE")
    func poolSize() throws {
        #expect(try HostConfiguration.fromEnvironment([:]).databasePoolSize == PostgresDatabase.defaultPoolSize)
        #expect(try HostConfiguration.fromEnvironment(["SWITCHBOARD_DB_POOL_SIZE": "3"]).databasePoolSize == 3)
        #expect(throws: ConfigurationError.self) { try HostConfiguration.fromEnvironment(["SWITCHBOARD_DB_POOL_SIZE": "0"]) }
    }

    @Test("the tenant sync interval and the job lease come from SWITCHBOARD_TENANT_SYNC_INTERVAL_MS and SWITCHBOARD_JOB_LEASE_MS")
    func syncIntervalAndLease() throws {
        let defaults = try HostConfiguration.fromEnvironment([:])
        #expect(defaults.tenantSyncInterval == .seconds(1) && defaults.scheduler.lease == .seconds(60))
        let set = try HostConfiguration.fromEnvironment(["SWITCHBOARD_TENANT_SYNC_INTERVAL_MS": "150", "SWITCHBOARD_JOB_LEASE_MS": "2500"])
        #expect(set.tenantSyncInterval == .milliseconds(150) && set.scheduler.lease == .milliseconds(2500))
        #expect(throws: ConfigurationError.self) { try HostConfiguration.fromEnvironment(["SWITCHBOARD_JOB_LEASE_MS": "soon"]) }
    }
}

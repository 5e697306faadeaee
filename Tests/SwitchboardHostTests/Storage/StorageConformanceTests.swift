import Synchronization
import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// What every storage driver must do alike: each test runs once on SQLite and once on PostgreSQL.
@Suite("Storage conformance")
struct StorageConformanceTests {
    static let tables = [
        "schema_migrations", "tenants", "plugin_records", "contacts", "contact_labels", "jobs", "messages", "audit_log",
        "users", "api_tokens", "conversations", "conversation_labels", "labels", "tasks", "templates", "automation_rules",
        "automation_runs", "calendar_events", "channel_subscriptions", "console_sessions", "plugin_reloads", "events",
        "job_queues",
    ]
    /// Indexes that serve a query across all tenants on purpose: the scheduler's choice of the tenant whose queue is
    /// due, its rescue of expired leases and its retention sweep.
    static let crossTenantIndexes: Set<String> = ["jobs_claim", "events_age", "job_queues_due"]

    @Test("migrations apply once and are recorded", arguments: StorageDriver.allCases)
    func migrationsAreIdempotent(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            #expect(try Migrations.apply(to: database).isEmpty)
            let versions = try database.read { try $0.query("SELECT version FROM schema_migrations ORDER BY version") }
            #expect(versions.compactMap { $0.int("version") } == Migrations.all.map { Int64($0.version) })
        }
    }

    @Test("every table, primary key and index leads with tenant_id", arguments: StorageDriver.allCases)
    func tenantLeadsEveryKey(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let firstColumns = try driver.firstColumns(database)
            #expect(Set(firstColumns.keys) == Set(Self.tables))
            for (table, column) in firstColumns {
                #expect(column == "tenant_id", "\(table) must lead with tenant_id")
            }
            let primaryKeys = try driver.primaryKeys(database)
            for table in Self.tables {
                #expect(primaryKeys[table] == "tenant_id", "the primary key of \(table) must lead with tenant_id")
            }
            let indexes = try driver.indexes(database)
            #expect(indexes.keys.contains("jobs_unique_active"))
            for (index, column) in indexes where !Self.crossTenantIndexes.contains(index) {
                #expect(column == "tenant_id", "index \(index) must lead with tenant_id")
            }
        }
    }

    @Test("the record store puts, gets, queries by prefix and field, pages and deletes", arguments: StorageDriver.allCases)
    func recordStore(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let store = RecordStore(database: database)
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
            #expect(try store.query(scope, collection: "leads", .init(where: ["hot": .bool(false), "n": .number(2)])).records.count == 1)

            #expect(try store.delete(scope, collection: "leads", key: "lead-1"))
            #expect(try !store.delete(scope, collection: "leads", key: "lead-1"))
            #expect(try store.get(scope, collection: "leads", key: "lead-1") == nil)
            // Another plugin of the same tenant sees nothing.
            #expect(try store.query(.init(tenantID: "t", pluginID: "q"), collection: "leads", .init()).records.isEmpty)
        }
    }

    @Test("a unique job key schedules one job until it is cancelled", arguments: StorageDriver.allCases)
    func uniqueJobs(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let jobs = JobStore(database: database)
            func schedule(_ tenant: String, at runAt: Int64) throws -> JobStore.Scheduled {
                try jobs.schedule(
                    tenantID: tenant, pluginID: "p", kind: "followup_24h", runAt: runAt, payload: .null,
                    uniqueKey: "conv-1:followup", maxAttempts: 5)
            }
            let first = try schedule("t", at: 1000)
            let second = try schedule("t", at: 2000)
            #expect(first.created && !second.created && first.id == second.id)
            // The same key in another tenant is another job.
            #expect(try schedule("u", at: 1000).created)
            #expect(try jobs.cancel(tenantID: "t", pluginID: "p", id: nil, uniqueKey: "conv-1:followup") == 1)
            #expect(try schedule("t", at: 3000).created)
            #expect(try jobs.list(tenantID: "t", pluginID: "p", status: "pending", kind: nil).count == 1)
            #expect(try jobs.list(tenantID: "t", pluginID: "p", status: "cancelled", kind: nil).count == 1)
        }
    }

    @Test("a failed transaction writes nothing", arguments: StorageDriver.allCases)
    func rollback(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            struct Boom: Error {}
            #expect(throws: Boom.self) {
                try database.transaction { connection in
                    try connection.execute("INSERT INTO audit_log (tenant_id, id, occurred_at, actor, action) VALUES ('t', '1', 0, 'a', 'b')")
                    throw Boom()
                }
            }
            let count = try database.read { try $0.query("SELECT COUNT(*) AS n FROM audit_log") }.first?.int("n")
            #expect(count == 0)
        }
    }

    @Test("after-commit actions run once the transaction commits, after the row is visible, and never after a rollback", arguments: StorageDriver.allCases)
    func afterCommit(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            struct Boom: Error {}
            /// What each action saw: the committed row count, or -1 from the rolled-back transaction's.
            final class Seen: Sendable { let counts = Mutex<[Int64?]>([]) }
            let seen = Seen()
            @Sendable func count() -> Int64? {
                try? database.read { try $0.query("SELECT COUNT(*) AS n FROM audit_log") }.first?.int("n")
            }
            try database.transaction { connection in
                try connection.execute("INSERT INTO audit_log (tenant_id, id, occurred_at, actor, action) VALUES ('t', '1', 0, 'a', 'b')")
                connection.afterCommit { seen.counts.withLock { $0.append(count()) } }
                #expect(seen.counts.withLock { $0.isEmpty }, "nothing runs before the commit")
            }
            #expect(seen.counts.withLock { $0 } == [1], "it ran once, and saw the committed row")
            _ = try? database.transaction { connection in
                connection.afterCommit { seen.counts.withLock { $0.append(-1) } }
                throw Boom()
            }
            try database.transaction { try $0.execute("DELETE FROM audit_log") }
            #expect(seen.counts.withLock { $0 } == [1], "the rolled-back transaction's action never ran, not even at the next commit")
        }
    }

    @Test("a constraint violation is a .constraint error, and the database carries on", arguments: StorageDriver.allCases)
    func constraintViolation(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let insert = "INSERT INTO tenants (tenant_id, manifest, status, created_at, updated_at) VALUES ($1, '', 'active', 0, 0)"
            try database.transaction { try $0.execute(insert, ["acme"]) }
            let error = #expect(throws: DatabaseError.self) {
                try database.transaction { try $0.execute(insert, ["acme"]) }
            }
            #expect(error?.kind == .constraint)
            #expect(error?.message.contains("tenants") == true, "the message names what failed: \(error?.message ?? "")")
            let count = try database.read { try $0.query("SELECT COUNT(*) AS n FROM tenants") }.first?.int("n")
            #expect(count == 1)
        }
    }

    @Test("shared transactions: callers arriving together each get their result, and a failing one undoes only its own writes",
          arguments: StorageDriver.allCases)
    func sharedTransactions(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            struct Boom: Error {}
            let insert = "INSERT INTO audit_log (tenant_id, id, occurred_at, actor, action) VALUES ('t', $1, 0, 'a', 'b')"
            let outcomes = await withTaskGroup(of: (Int, Result<Int, any Error>).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        do {
                            let value = try await database.sharedTransaction { connection in
                                try connection.execute(insert, [.text("\(index)")])
                                if index % 7 == 0 { throw Boom() }
                                if index % 11 == 0 { try connection.execute(insert, [.text("\(index)")]) }  // a duplicate key
                                return index * 2
                            }
                            return (index, .success(value))
                        } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: [Int: Result<Int, any Error>]()) { $0[$1.0] = $1.1 }
            }
            let stored = Set(try database.read { try $0.query("SELECT id FROM audit_log") }.compactMap { $0.string("id").flatMap(Int.init) })
            for (index, outcome) in outcomes {
                switch outcome {
                case .success(let value):
                    #expect(value == index * 2 && index % 7 != 0 && index % 11 != 0 && stored.contains(index))
                case .failure(let error):
                    #expect(index % 7 == 0 || index % 11 == 0 && error is DatabaseError, "\(index): \(error)")
                    #expect(!stored.contains(index), "\(index) failed, yet its row was kept")
                }
            }
            #expect(stored.count == (0..<200).filter { $0 % 7 != 0 && $0 % 11 != 0 }.count)
        }
    }

    @Test("perform runs blocking work for async callers", arguments: StorageDriver.allCases)
    func perform(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let answer = try await database.perform { try database.read { try $0.query("SELECT 41 + 1 AS n") }.first?.int("n") }
            #expect(answer == 42)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<16 {
                    group.addTask {
                        try await database.perform {
                            try database.transaction {
                                try $0.execute(
                                    "INSERT INTO audit_log (tenant_id, id, occurred_at, actor, action) VALUES ('t', $1, 0, 'a', 'b')",
                                    [.text("\(index)")])
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = try database.read { try $0.query("SELECT COUNT(*) AS n FROM audit_log") }.first?.int("n")
            #expect(count == 16)
            struct Boom: Error {}
            await #expect(throws: Boom.self) { try await database.perform { () throws -> Int in throw Boom() } }
        }
    }

    @Test("concurrent attribute merges on one contact lose no update", arguments: StorageDriver.allCases)
    func noLostAttributeUpdates(driver: StorageDriver) async throws {
        try await driver.withDatabase { database in
            let contacts = HostServices(database: database, logger: TestEnvironment.logger).contacts
            let contact = try contacts.create(tenantID: "t", name: "Busy", phone: nil, email: nil)
            await withTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for round in 0..<10 {
                            _ = try? await database.perform {
                                try contacts.update(tenantID: "t", id: contact.id, attributes: ["w\(writer)": .number(Double(round))])
                            }
                        }
                    }
                }
            }
            let merged = try #require(try contacts.find(tenantID: "t", .id(contact.id)))
            #expect(Set(merged.attributes.keys) == Set((0..<8).map { "w\($0)" }))
            #expect(merged.attributes.values.allSatisfy { $0 == .number(9) })
        }
    }
}

import Foundation
import Synchronization
import Testing

@testable import SwitchboardHost

/// What only the PostgreSQL driver has: a pool shared by threads, libpq's types and errors, and migration locking.
@Suite("PostgreSQL driver")
struct PostgresDatabaseTests {
    /// Runs `body` with a migrated database on a schema of its own, and that schema's URL.
    private func withDatabase(
        poolSize: Int = 4, checkoutTimeout: Duration = .seconds(10), _ body: (PostgresDatabase, String) async throws -> Void
    ) async throws {
        try await PostgresTestServer.withSchema { url in
            let database = try PostgresDatabase(url: url, poolSize: poolSize, checkoutTimeout: checkoutTimeout)
            try Migrations.apply(to: database)
            try await body(database, url)
        }
    }

    @Test("postgres:// and postgresql:// URLs open a migrated PostgreSQL database")
    func opensURLs() async throws {
        try await PostgresTestServer.withSchema { url in
            let address = url[url.range(of: "://")!.upperBound...]
            for scheme in ["postgres", "postgresql"] {
                let database = try DatabaseLocation(url: "\(scheme)://\(address)").open()
                #expect(database.dialect == .postgres)
                #expect(try database.read { try $0.query("SELECT COUNT(*) AS n FROM tenants") }.first?.int("n") == 0)
            }
        }
    }

    @Test("values keep their types both ways")
    func valueTypes() async throws {
        try await withDatabase { database, _ in
            let row = try #require(try database.read {
                try $0.query("""
                    SELECT 2::int2 AS small, 4::int4 AS regular, 8000000000::int8 AS big, 1.5::float4 AS single,
                           2.25::float8 AS double, 3.125::numeric AS decimal, true AS yes, false AS no,
                           '\\x00ff'::bytea AS bytes, 'hé'::text AS text, NULL::int4 AS nothing, '{"a": 1}'::jsonb AS json
                    """)
            }.first)
            #expect(row["small"] == .integer(2) && row["regular"] == .integer(4) && row["big"] == .integer(8_000_000_000))
            #expect(row["single"] == .real(1.5) && row["double"] == .real(2.25) && row["decimal"] == .real(3.125))
            #expect(row["yes"] == .integer(1) && row["no"] == .integer(0))
            #expect(row["bytes"] == .blob([0, 255]) && row["text"] == .text("hé") && row["nothing"] == .null)
            #expect(row["json"] == .text(#"{"a": 1}"#))

            let parameters: [SQLValue] = [.integer(.max), .real(-0.5), .text("ünïcode ✓"), .blob([0, 1, 254, 255]), .null]
            let echoed = try #require(try database.read {
                try $0.query("SELECT $1::int8 AS i, $2::float8 AS r, $3::text AS t, $4::bytea AS b, $5::text AS n", parameters)
            }.first)
            #expect(echoed.values == parameters)
        }
    }

    @Test("concurrent transactions from many threads lose no update")
    func concurrentTransactions() async throws {
        try await withDatabase(poolSize: 4) { database, _ in
            try database.transaction {
                try $0.execute("""
                    INSERT INTO plugin_records (tenant_id, plugin_id, collection, record_key, value, created_at, updated_at)
                    VALUES ('t', 'p', 'c', 'counter', '0', 0, 0)
                    """)
            }
            let failures = Collected<String>()
            runThreads(8) { worker in
                for step in 0..<25 {
                    do {
                        try database.transaction { connection in
                            try connection.execute(
                                "UPDATE plugin_records SET value = (value::bigint + 1)::text WHERE tenant_id = 't' AND record_key = 'counter'")
                            try connection.execute(
                                "INSERT INTO audit_log (tenant_id, id, occurred_at, actor, action) VALUES ('t', $1, 0, 'worker', 'step')",
                                [.text("\(worker)-\(step)")])
                        }
                    } catch {
                        failures.append("\(error)")
                    }
                }
            }
            #expect(failures.all.isEmpty)
            #expect(try RecordStore(database: database).get(.init(tenantID: "t", pluginID: "p"), collection: "c", key: "counter") == "200")
            #expect(try database.read { try $0.query("SELECT COUNT(*) AS n FROM audit_log") }.first?.int("n") == 200)
        }
    }

    @Test("hosts migrating one database at once take turns")
    func concurrentMigrations() async throws {
        try await PostgresTestServer.withSchema { url in
            // Connected up front, so the hosts start migrating at the same moment.
            let hosts = try (0..<4).map { _ in try PostgresDatabase(url: url, poolSize: 1) }
            for host in hosts { try host.read { try $0.execute("SELECT 1") } }
            let applied = Collected<Int>(), failures = Collected<String>()
            runThreads(hosts.count) { index in
                do {
                    for version in try Migrations.apply(to: hosts[index]) { applied.append(version) }
                } catch {
                    failures.append("\(error)")
                }
            }
            #expect(failures.all.isEmpty)
            #expect(applied.all.sorted() == Migrations.all.map(\.version))
        }
    }

    @Test("a caller waits for a free connection, and gives up with .busy")
    func poolExhausted() async throws {
        try await withDatabase(poolSize: 1, checkoutTimeout: .seconds(1)) { database, _ in
            let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
            let holder = Thread { _ = try? database.read { _ in holding.signal(); release.wait() } }
            holder.start()
            waitFor(holding)
            let error = #expect(throws: DatabaseError.self) { try database.read { _ in } }
            #expect(error?.kind == .busy)
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { release.signal() }
            let one = try database.read { try $0.query("SELECT 1 AS one") }.first?.int("one")
            #expect(one == 1)
        }
    }

    @Test("a lock wait that times out is a .busy error")
    func lockTimeout() async throws {
        try await withDatabase { database, _ in
            let insert = "INSERT INTO tenants (tenant_id, manifest, status, created_at, updated_at) VALUES ('acme', '', 'active', 0, 0)"
            try database.transaction { try $0.execute(insert) }
            let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
            Thread {
                _ = try? database.transaction { connection in
                    try connection.execute("UPDATE tenants SET status = 'disabled' WHERE tenant_id = 'acme'")
                    locked.signal()
                    release.wait()
                }
            }.start()
            waitFor(locked)
            let error = #expect(throws: DatabaseError.self) {
                try database.transaction { connection in
                    try connection.execute("SET LOCAL lock_timeout = '100ms'")
                    try connection.execute("UPDATE tenants SET status = 'active' WHERE tenant_id = 'acme'")
                }
            }
            release.signal()
            #expect(error?.kind == .busy)
        }
    }

    @Test("a connection the server dropped is reset before it is lent again")
    func droppedConnection() async throws {
        try await withDatabase(poolSize: 1) { database, url in
            let backend = "SELECT pg_backend_pid() AS pid"
            let pid = try database.read { try $0.query(backend) }.first?.int("pid")
            let admin = try PostgresDatabase(url: url, poolSize: 1)
            let terminated = try admin.read { try $0.query("SELECT pg_terminate_backend($1, 5000) AS done", [.integer(pid.map(Int.init))]) }
            #expect(terminated.first?["done"] == .integer(1))
            let next = try database.read { try $0.query(backend) }.first?.int("pid")
            #expect(pid != nil && next != nil && next != pid)
        }
    }

    @Test("a transaction in which a statement failed does not pretend to commit")
    func abortedTransaction() async throws {
        try await withDatabase { database, _ in
            let error = #expect(throws: DatabaseError.self) {
                try database.transaction { connection in
                    try connection.execute("INSERT INTO audit_log (tenant_id, id, occurred_at, actor, action) VALUES ('t', '1', 0, 'a', 'b')")
                    _ = try? connection.execute("SELECT no_such_column FROM audit_log")
                }
            }
            #expect(error?.kind == .statement)
            let count = try database.read { try $0.query("SELECT COUNT(*) AS n FROM audit_log") }.first?.int("n")
            #expect(count == 0)
        }
    }

    @Test("a server that does not answer is a clear .connection error")
    func unreachableServer() throws {
        let error = #expect(throws: DatabaseError.self) {
            try DatabaseLocation(url: "postgres://switchboard@127.0.0.1:1/none").open()
        }
        #expect(error?.kind == .connection)
        #expect(error?.message.hasPrefix("cannot connect to PostgreSQL") == true)
        #expect(error?.message.contains("127.0.0.1") == true, "the message names the server: \(error?.message ?? "")")
    }

    @Test("a URL libpq cannot parse is refused before connecting")
    func malformedURL() throws {
        let error = #expect(throws: DatabaseError.self) { try PostgresDatabase(url: "postgres://localhost/db?nonsense=1") }
        #expect(error?.kind == .connection)
        #expect(error?.message.contains("nonsense") == true, "the message names the problem: \(error?.message ?? "")")
        #expect(throws: DatabaseError.self) { try PostgresDatabase(url: "postgres://localhost/db", poolSize: 0) }
    }
}

/// Values appended from several threads.
private final class Collected<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

/// Runs `body` on `count` threads of its own at once, and returns when all have finished.
private func runThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        Thread {
            body(index)
            group.leave()
        }.start()
    }
    group.wait()
}

/// Blocks until `semaphore` is signalled (a synchronous wait, kept out of async code).
private func waitFor(_ semaphore: DispatchSemaphore) {
    semaphore.wait()
}

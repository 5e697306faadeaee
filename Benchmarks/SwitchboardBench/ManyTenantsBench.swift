import Foundation
import SwitchboardHost

/// The numbers behind docs/scaling.md: one host with 10,000 generated tenants (each with its own domain, the
/// sandbox channel and the C plugin). Start to ready when the manifests are applied and when the tenants are
/// only read back, resident memory, and sandbox webhooks spread at random over every tenant's domain.
enum ManyTenantsBench {
    static let tenantCount = 10_000

    static func run(binary: String, pluginsDirectory: String, directory: URL, store: WebhookBench.Store, port: Int) throws -> [BenchResult] {
        let manifests = try StartupBench.generateTenants(tenantCount, in: directory.appendingPathComponent("many-\(port)"))
        let noManifests = directory.appendingPathComponent("no-manifests-\(port)")
        try FileManager.default.createDirectory(at: noManifests, withIntermediateDirectories: true)
        let name = "\(tenantCount) tenants (\(store.label))"
        func environment(_ tenants: URL) -> [String: String] {
            ["SWITCHBOARD_DATABASE_URL": store.url, "SWITCHBOARD_TENANTS_DIR": tenants.path, "SWITCHBOARD_PLUGINS_DIR": pluginsDirectory]
        }
        print("    \(name): first start, applying the manifests")
        let first = try RunningHost.start(binary: binary, port: port, environment: environment(manifests))
        let firstRSS = first.residentMegabytes()
        first.stop()
        print("    \(name): restart, tenants read from the database")
        let host = try RunningHost.start(binary: binary, port: port, environment: environment(noManifests))
        defer { host.stop() }
        let loadedRSS = host.residentMegabytes()
        print("    \(name): sandbox webhooks to random tenants")
        let script = directory.appendingPathComponent("spread-\(port).lua")
        try WebhookBench.sandboxLua(host: "'t' .. math.random(0, \(tenantCount - 1)) .. '.localhost'").write(to: script, atomically: true, encoding: .utf8)
        let database = try DatabaseLocation(url: store.url).open()
        let load = try EndToEnd.measure(database: database) {
            try Wrk.run(["-t2", "-c32", "-d\(WebhookBench.loadDuration)", "--latency", "-s", script.path, "http://127.0.0.1:\(port)/"])
        }
        return [
            BenchResult("\(name): first start to ready (manifests validated and stored)", first.secondsToReady * 1000, "ms"),
            BenchResult("\(name): RSS after the first start", firstRSS, "MB"),
            BenchResult("\(name): restart to ready (tenants read back, plugins instantiated)", host.secondsToReady * 1000, "ms"),
            BenchResult("\(name): RSS after the restart", loadedRSS, "MB"),
            BenchResult("\(name): webhooks to random tenants, requests/s", load.wrk.requestsPerSecond, "req/s"),
            BenchResult("\(name): webhooks to random tenants, p99 latency", load.wrk.p99, "ms"),
            BenchResult("\(name): webhooks to random tenants, failed requests", Double(load.wrk.failures), "", target: "0", met: load.wrk.failures == 0),
            BenchResult("\(name): webhooks to random tenants, end to end", load.messagesPerSecond, "msg/s"),
            BenchResult("\(name): RSS after the load", host.residentMegabytes(), "MB"),
        ]
    }
}

/// A schema of its own on a PostgreSQL server, as a URL that puts it first on the search path.
enum PostgresSchema {
    static func create(_ schema: String, in server: String) throws -> String {
        let admin = try PostgresDatabase(url: server, poolSize: 1)
        try admin.transaction { connection in
            try connection.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE")
            try connection.execute("CREATE SCHEMA \(schema)")
        }
        return server + (server.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(schema)"
    }
}

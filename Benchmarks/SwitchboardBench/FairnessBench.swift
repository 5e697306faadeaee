import Foundation
import SwitchboardHost

/// One tenant stalls, another should not notice: tenant A's plugin sleeps 5 s in every event while webhooks from many
/// of its contacts keep coming, and tenant B's webhooks, paced at 100 req/s, are measured meanwhile: their p99 latency
/// (wrk) and the lag from each B message's commit until its plugin had it (the delivery job's created and finished
/// times). Both tenants run the `recorder` test plugin (Tests/Fixtures/plugins/recorder.c), built here with cc.
enum FairnessBench {
    static let sleepMillis = 5000
    static let duration = 10
    static let quietRate = 100

    static func run(binary: String, repository: String, directory: URL, port: Int) throws -> [BenchResult] {
        guard Wrk.isInstalled else { return [BenchResult("fairness: wrk is not installed (apt install wrk)", 0, "", target: "runs", met: false)] }
        let work = directory.appendingPathComponent("fairness")
        let tenants = work.appendingPathComponent("tenants"), plugins = work.appendingPathComponent("plugins")
        for folder in [tenants, plugins] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try compileRecorder(repository: repository, into: plugins)
        try manifest("slow", config: "{sleep_ms: \(sleepMillis)}").write(to: tenants.appendingPathComponent("slow.yaml"), atomically: true, encoding: .utf8)
        try manifest("quiet", config: "{}").write(to: tenants.appendingPathComponent("quiet.yaml"), atomically: true, encoding: .utf8)
        let databaseURL = "sqlite://\(work.appendingPathComponent("fairness.sqlite").path)"
        let server = try RunningHost.start(
            binary: binary, port: port,
            environment: ["SWITCHBOARD_DATABASE_URL": databaseURL, "SWITCHBOARD_TENANTS_DIR": tenants.path, "SWITCHBOARD_PLUGINS_DIR": plugins.path])
        defer { server.stop() }
        let url = "http://127.0.0.1:\(port)/"
        let slowScript = work.appendingPathComponent("slow.lua"), quietScript = work.appendingPathComponent("quiet.lua")
        try WebhookBench.sandboxLua(host: "'slow.localhost'").write(to: slowScript, atomically: true, encoding: .utf8)
        try (WebhookBench.sandboxLua(host: "'quiet.localhost'") + "\ninterval = 1000 / \(quietRate)\n" + WhatsAppLoad.pacing)
            .write(to: quietScript, atomically: true, encoding: .utf8)

        // The slow tenant's webhooks keep coming (each from a new contact, so every one is a lane of its own) while
        // the quiet tenant's are measured.
        let slowLoad = try Wrk.start(["-t1", "-c4", "-d\(duration + 2)s", "-s", slowScript.path, url])
        usleep(1_000_000)
        let quiet = try Wrk.run(["-t1", "-c8", "-d\(duration)s", "--latency", "-s", quietScript.path, url])
        let slow = slowLoad.finish()
        let database = try DatabaseLocation(url: databaseURL).open()
        let deadline = Date().addingTimeInterval(30)
        while try pendingDeliveries(database, tenant: "quiet") > 0, Date() < deadline { usleep(50_000) }
        let lags = try deliveryLags(database, tenant: "quiet")
        // wrk counts the requests answered within its run; the few still in flight at its end were stored too.
        let received = try receivedMessages(database, tenant: "quiet")
        let stalled = try pendingDeliveries(database, tenant: "slow")

        let p99 = percentile(lags, 0.99), worst = lags.max() ?? 0
        return [
            BenchResult("fairness: slow tenant's webhooks accepted meanwhile (its plugin sleeps \(sleepMillis / 1000) s per event)", Double(slow.requests), ""),
            BenchResult("fairness: slow tenant's deliveries still waiting at the end", Double(stalled), ""),
            BenchResult("fairness: quiet tenant's webhooks at \(quietRate) req/s: measured rate", quiet.requestsPerSecond, "req/s",
                        target: "≥ \(quietRate * 95 / 100)", met: quiet.requestsPerSecond >= Double(quietRate) * 0.95),
            BenchResult("fairness: quiet tenant's webhook p99 latency", quiet.p99, "ms", target: "< 20 ms", met: quiet.p99 < 20),
            BenchResult("fairness: quiet tenant's failed requests", Double(quiet.failures), "", target: "0", met: quiet.failures == 0),
            BenchResult("fairness: quiet tenant's messages delivered to its plugin", Double(lags.count), "",
                        target: "all \(received) stored", met: lags.count == received && received >= quiet.requests && received > 0),
            BenchResult("fairness: quiet tenant's delivery lag (commit to plugin), p99", p99, "ms", target: "< 250 ms", met: p99 < 250),
            BenchResult("fairness: quiet tenant's delivery lag, slowest", worst, "ms", target: "< 250 ms", met: worst < 250),
        ]
    }

    /// A tenant with the sandbox channel, open at all hours, running the recorder with `config`.
    static func manifest(_ slug: String, config: String) -> String {
        """
        slug: \(slug)
        name: \(slug)
        domains: [\(slug).localhost]
        channels:
          sandbox: {}
        messaging:
          allowed_hours: "00:00-24:00"
        plugins:
          - id: recorder
            config: \(config)

        """
    }

    /// Builds the recorder plugin into `folder`, subscribed to `message.received`.
    static func compileRecorder(repository: String, into folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "cc", "-O2", "-shared", "-fPIC", "-I", repository + "/Sources/PluginAPI/CPluginABI/include",
            #"-DSUBSCRIPTIONS="[\"message.received\"]""#, repository + "/Tests/Fixtures/plugins/recorder.c",
            "-o", folder.appendingPathComponent("librecorder.so").path,
        ]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchFailure("cc could not build the recorder plugin") }
    }

    /// Deliveries of a tenant's events not finished yet.
    static func pendingDeliveries(_ database: Database, tenant: String) throws -> Int {
        Int(try database.read {
            try $0.query(
                "SELECT COUNT(*) AS n FROM jobs WHERE tenant_id = $1 AND kind = 'event.deliver' AND status IN ('pending', 'running')",
                [.text(tenant)]
            ).first?.int("n")
        } ?? 0)
    }

    /// The `message.received` events stored for a tenant.
    static func receivedMessages(_ database: Database, tenant: String) throws -> Int {
        Int(try database.read {
            try $0.query("SELECT COUNT(*) AS n FROM events WHERE tenant_id = $1 AND type = 'message.received'", [.text(tenant)]).first?.int("n")
        } ?? 0)
    }

    /// For each finished delivery of a tenant's `message.received`: milliseconds from its commit (the job's creation,
    /// in the webhook's transaction) to the plugin's answer (the job's last update).
    static func deliveryLags(_ database: Database, tenant: String) throws -> [Double] {
        try database.read {
            try $0.query(
                """
                SELECT j.updated_at - j.created_at AS lag FROM jobs j JOIN events e ON e.tenant_id = j.tenant_id AND j.payload LIKE '%' || e.id || '%'
                WHERE j.tenant_id = $1 AND j.kind = 'event.deliver' AND j.status = 'done' AND e.type = 'message.received'
                """,
                [.text(tenant)])
        }.compactMap { $0.int("lag").map(Double.init) }
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
}

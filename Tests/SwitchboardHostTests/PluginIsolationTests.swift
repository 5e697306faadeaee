import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import SwitchboardHost

@Suite("Plugin process isolation")
struct PluginIsolationTests {
    /// A plugins directory with HelloC, EchoSwift and the misbehaving `crashy` fixture.
    static func pluginsDirectory() throws -> String {
        let directory = try TestEnvironment.temporaryDirectory()
        for library in ["libHelloC.so", "libEchoSwift.so"] {
            try FileManager.default.copyItem(
                atPath: (TestEnvironment.pluginsDirectory as NSString).appendingPathComponent(library),
                toPath: directory.appendingPathComponent(library).path)
        }
        try FileManager.default.copyItem(
            atPath: try TestEnvironment.compileFixture("crashy"), toPath: directory.appendingPathComponent("libcrashy.so").path)
        return directory.path
    }

    /// A tenant running `plugins`, each in a worker process.
    static func isolatedManifest(slug: String, plugins: [String], timeoutMillis: Int = 1000) -> String {
        """
        slug: \(slug)
        name: Tenant \(slug)
        domains: [\(slug).localhost]
        timezone: Europe/Amsterdam
        plugins:
        \(plugins.map { "  - id: \($0)\n    isolation: process\n    timeout_ms: \(timeoutMillis)" }.joined(separator: "\n"))
        """
    }

    /// Tenant "steady" runs HelloC inline; tenant "fragile" runs `crashy` in a worker. Restart backoff: 5 s on `clock`.
    static func host(clock: TestClock) throws -> SwitchboardHost {
        let plugins = try pluginsDirectory()
        return try TestEnvironment.host(manifests: [
            "steady": manifest(slug: "steady", domain: "steady.localhost"),
            "fragile": isolatedManifest(slug: "fragile", plugins: ["crashy"]),
        ]) { configuration in
            configuration.pluginsDirectory = plugins
            configuration.isolation.now = { clock.now }
            configuration.isolation.restartBackoff = Backoff(base: .seconds(5), cap: .seconds(60))
        }
    }

    /// Runs `body` over HTTP against the tenants of `host(clock:)`: "fragile" without a token, "steady" as a viewer.
    static func run(_ body: @escaping @Sendable (TestClock, _ fragile: APIClient, _ steady: APIClient) async throws -> Void) async throws {
        let clock = TestClock()
        let host = try Self.host(clock: clock)
        let token = try host.token("steady", role: "viewer")
        try await host.buildApplication().test(.router) { client in
            try await body(clock, APIClient(client: client, host: "fragile.localhost"), APIClient(client: client, host: "steady.localhost", token: token))
        }
    }

    /// Whether process `pid` is gone (killed and reaped).
    static func isGone(_ pid: JSON?) -> Bool {
        guard let pid = pid?.doubleValue else { return false }
        return kill(pid_t(pid), 0) == -1 && errno == ESRCH
    }

    @Test("a segfaulting plugin answers 503 for its tenant only, and serves again from a new worker after the backoff")
    func crashIsContained() async throws {
        try await Self.run { clock, fragile, steady in
            let first = try await fragile.get("/api/ok")
            #expect(first.status == .ok && first.json["ok"] == true)
            let firstPID = try #require(first.json["pid"]?.doubleValue)
            #expect(pid_t(firstPID) != getpid(), "the plugin runs in a process of its own")

            let crashed = try await fragile.get("/api/crash")
            #expect(crashed.status == .serviceUnavailable)
            #expect(crashed.headers[.contentType] == "application/problem+json")
            #expect(crashed.text.contains("restarting"))
            #expect(Self.isGone(first.json["pid"]))

            // The other tenant, inline in the host process, never noticed.
            let hello = try await steady.get("/api/hello")
            #expect(hello.status == .ok && hello.json["hello"] == "from C")

            // Within the backoff the tenant's plugin keeps answering 503; after it, a new worker serves.
            #expect(try await fragile.get("/api/ok").status == .serviceUnavailable)
            clock.advance(by: .seconds(5))
            let again = try await fragile.get("/api/ok")
            #expect(again.status == .ok)
            #expect(again.json["pid"] != nil && again.json["pid"] != first.json["pid"])
        }
    }

    @Test("a hanging plugin hits its timeout: 503, the worker is killed, and a new one serves after the backoff")
    func hangIsKilled() async throws {
        try await Self.run { clock, fragile, steady in
            let first = try await fragile.get("/api/ok")
            #expect(first.status == .ok)

            async let hung = fragile.get("/api/hang")
            #expect(try await steady.get("/api/hello").status == .ok)
            let reply = try await hung
            #expect(reply.status == .serviceUnavailable)
            #expect(reply.headers[.contentType] == "application/problem+json")
            #expect(Self.isGone(first.json["pid"]), "the hung worker was killed")

            clock.advance(by: .seconds(5))
            let again = try await fragile.get("/api/ok")
            #expect(again.status == .ok && again.json["pid"] != first.json["pid"])
        }
    }

    @Test("a job whose worker crashed is retried by the scheduler and succeeds on the restarted worker")
    func crashedJobIsRetried() async throws {
        let clock = TestClock()
        let host = try Self.host(clock: clock)
        let id = try host.services.jobs.schedule(
            tenantID: "fragile", pluginID: "crashy", kind: "crash_once", runAt: clock.now, payload: .null, uniqueKey: nil,
            maxAttempts: 5
        ).id
        let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "w", now: { clock.now })
        func job() throws -> JobRecord {
            try #require(try host.services.jobs.list(tenantID: "fragile", pluginID: "crashy", status: nil, kind: nil).first { $0.id == id })
        }

        #expect(await scheduler.runDue(limit: 10) == 1)
        let failed = try job()
        #expect(failed.status == "pending" && failed.attempts == 1)
        #expect(failed.lastError?.contains("restarting after a failure") == true)
        // The store write the plugin made before it crashed went through the host and was kept.
        let scope = RecordStore.Scope(tenantID: "fragile", pluginID: "crashy")
        #expect(try host.services.records.get(scope, collection: "state", key: "crashed") == "true")

        clock.advance(by: .seconds(7200))  // past the job's retry time and the worker's restart backoff
        #expect(await scheduler.runDue(limit: 10) == 1)
        let done = try job()
        #expect(done.status == "done" && done.attempts == 2)
    }

    @Test("HelloC and the Swift EchoSwift behave in a worker as they do inline: route, event, job and store")
    func pluginsWorkInAWorker() async throws {
        let plugins = try Self.pluginsDirectory()
        let host = try TestEnvironment.host(manifests: [
            "iso": Self.isolatedManifest(slug: "iso", plugins: ["hello-c", "echo-swift"], timeoutMillis: 30_000)
        ]) { $0.pluginsDirectory = plugins }
        let tenant = try #require(host.registry.tenant(slug: "iso"))
        let hello = try #require(tenant.instance(of: "hello-c"))
        let echo = try #require(tenant.instance(of: "echo-swift"))
        #expect(hello.isolation == .process(timeout: .seconds(30)) && echo.isolation == hello.isolation)

        // Events: each reply comes back across the socket; each store write is forwarded to the host.
        let greeting: JSON = ["type": "greeting", "id": "e1", "occurred_at": 1, "data": ["text": "hi"], "source": .null]
        #expect(hello.handleEvent(greeting).json == greeting)
        let echoed = echo.handleEvent(greeting)
        #expect(echoed.ok && echoed.json["echo"]?["data"]?["text"] == "hi")
        let stored = try host.services.records.get(.init(tenantID: "iso", pluginID: "echo-swift"), collection: "last_event", key: "greeting")
        #expect(try JSON.parse(try #require(stored))["data"]?["text"] == "hi")

        // A route: the plugin reads the counter its event handler wrote.
        let token = try host.token("iso", role: "viewer")
        try await host.buildApplication().test(.router) { client in
            let reply = try await APIClient(client: client, host: "iso.localhost", token: token).get("/api/hello")
            #expect(reply.status == .ok)
            #expect(reply.json == ["hello": "from C", "events_seen": 1])
        }

        // A job, through the scheduler.
        let clock = TestClock()
        let id = try host.services.jobs.schedule(
            tenantID: "iso", pluginID: "hello-c", kind: "count", runAt: clock.now, payload: .null, uniqueKey: nil, maxAttempts: 3
        ).id
        let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "w", now: { clock.now })
        #expect(await scheduler.runDue(limit: 10) == 1)
        let job = try host.services.jobs.list(tenantID: "iso", pluginID: "hello-c", status: nil, kind: nil).first { $0.id == id }
        #expect(job?.status == "done")
        #expect(try host.services.records.get(.init(tenantID: "iso", pluginID: "hello-c"), collection: "counters", key: "jobs") == "1")
    }

    @Test("the manifest's isolation and timeout_ms are checked")
    func manifestIsolationIsValidated() throws {
        let plugins = try Self.pluginsDirectory()
        let host = try TestEnvironment.host(manifests: [:]) { $0.pluginsDirectory = plugins }
        let bad = Self.isolatedManifest(slug: "bad", plugins: ["hello-c"], timeoutMillis: 0)
            .replacingOccurrences(of: "isolation: process", with: "isolation: sandbox")
        #expect {
            try host.registry.validator().validate(yaml: bad)
        } throws: { error in
            let text = "\(error)"
            return text.contains("plugins[0].isolation") && text.contains("must be inline or process")
                && text.contains("plugins[0].timeout_ms") && text.contains("must be 1 to 600000")
        }
    }
}

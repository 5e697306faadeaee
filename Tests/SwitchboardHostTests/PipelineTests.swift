import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Webhook → commit → scheduler → plugins and rules; outbound → scheduler → provider → dead-letter list;
/// and several hosts sharing one PostgreSQL database.
@Suite("The message pipeline through the scheduler")
struct PipelineTests {
    /// Runs due jobs until none is left (or `rounds` runs out), moving the clock past any backoff.
    static func drain(_ scheduler: SchedulerService, clock: TestClock? = nil, rounds: Int = 50) async {
        for _ in 0..<rounds {
            if await scheduler.runDue(limit: 20) == 0 {
                guard let clock else { return }
                clock.advance(by: .seconds(3600))
                if await scheduler.runDue(limit: 20) == 0 { return }
            }
        }
    }

    @Test("an inbound sandbox message reaches the tenant's plugins and message_created rules through the scheduler")
    func inboundReachesPlugins() async throws {
        let yaml = manifest(slug: "pipe", domain: "pipe.localhost") + """

            automation_rules:
              - name: greeted
                event: message_created
                conditions:
                  - {field: message_content, operator: contains, value: hallo}
                actions:
                  - add_label: greeted
            """
        let host = try TestEnvironment.host(manifests: ["pipe": yaml], configure: { $0.scheduler.enabled = false })
        let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "pipe.localhost")
            let reply = try await api.send(.post, "/webhooks/sandbox", json: ["from": "+31612345678", "name": "Eva", "text": "Hallo daar", "id": "m-1"])
            #expect(reply.status == .accepted)
        }
        await Self.drain(scheduler)
        // HelloC counts every event it handles in its record store.
        let seen = try host.services.records.get(.init(tenantID: "pipe", pluginID: "hello-c"), collection: "counters", key: "events")
        #expect(seen == "1")
        let contact = try #require(try host.services.contacts.find(tenantID: "pipe", .phone("+31612345678")))
        #expect(contact.labels == ["greeted"])
        #expect(try host.services.jobs.list(tenantID: "pipe", pluginID: "hello-c", status: "done", kind: EventLog.deliverKind).count == 1)
    }

    @Test("a delivery that keeps failing is retried with backoff, then lands in the dead-letter list, and retry sends it back")
    func deliveryToDeadLetters() async throws {
        let graphIsDown = Shared(true)
        try await FakeProvider.run(routes: { router in
            router.post("/v21.0/\(ChannelTests.phoneNumberID)/messages") { _, _ -> Response in
                guard !graphIsDown.value else { return Response(status: .serviceUnavailable) }
                return try fakeJSON(["messaging_product": "whatsapp", "messages": [["id": "wamid.BACK"]]])
            }
        }) { graph in
            let (yaml, _) = ChannelTests.tenant(graph: graph.baseURL)
            let clock = TestClock()
            let host = try TestEnvironment.host(manifests: ["lq": yaml], configure: { $0.scheduler.enabled = false })
            let tenant = try #require(host.registry.tenant(slug: "lq"))
            let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test", now: { clock.now })
            _ = try InboundProcessor(services: host.services).ingest(
                InboundMessage(channel: "whatsapp", providerMessageID: "wamid.DLQ", phone: "+16505551234", text: "hi"), tenant: tenant, now: clock.now)
            let contact = try #require(try host.services.contacts.find(tenantID: "lq", .phone("+16505551234")))
            let sent = try Outbound(services: host.services).send(
                .init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: "Antwort"), tenant: tenant, actor: "test", now: clock.now)
            await Self.drain(scheduler, clock: clock)

            #expect(graph.requests("POST", "/v21.0/").count == 6, "six attempts, each a provider call")
            let dead = try host.services.jobs.list(tenantID: "lq", pluginID: nil, status: "dead", kind: Outbound.deliverKind)
            #expect(dead.count == 1)
            #expect(dead.first?.lastError?.contains("503") == true)
            func message() throws -> Row? {
                try host.services.database.read { try $0.query("SELECT status, error_code, provider_message_id FROM messages WHERE id = $1", [.text(sent.messageID)]).first }
            }
            #expect(try message()?.string("status") == "failed" && message()?.string("error_code") == "retries_exhausted")

            let token = try host.token("lq", role: "admin")
            try await host.buildApplication().test(.router) { client in
                let api = APIClient(client: client, host: "lq.localhost", token: token)
                let listed = try await api.get("/api/v1/jobs?status=dead").json["data"]?.arrayValue ?? []
                let job = try #require(listed.first { $0["kind"] == .string(Outbound.deliverKind) && $0["attempts"] == .number(6) })
                graphIsDown.value = false
                #expect(try await api.post("/api/v1/jobs/\(job["id"]?.stringValue ?? "")/retry", [:]).status == .ok)
            }
            clock.advance(to: Clock.nowMillis())
            await Self.drain(scheduler)
            #expect(try message()?.string("status") == "sent" && message()?.string("provider_message_id") == "wamid.BACK")
            #expect(graph.requests("POST", "/v21.0/").count == 7)
        }
    }

    @Test("two hosts on one PostgreSQL database run each of 1,000 jobs exactly once")
    func twoHostsShareJobs() async throws {
        try await PostgresTestServer.withSchema { url in
            let yaml = manifest(slug: "shared", domain: "shared.localhost")
            let hosts = try (0..<2).map { _ in
                try TestEnvironment.host(manifests: ["shared": yaml], configure: { $0.database = .postgres(url: url) })
            }
            let executions = Executions()
            for host in hosts {
                host.services.hostJobs.register(kind: "count") { job, _ in
                    executions.begin(job.id)
                    executions.end()
                }
            }
            for index in 0..<1000 {
                _ = try hosts[0].services.jobs.schedule(
                    tenantID: "shared", pluginID: nil, kind: "count", runAt: 0, payload: ["n": .number(Double(index))],
                    uniqueKey: nil, maxAttempts: 3)
            }
            var settings = hosts[0].configuration.scheduler
            settings.concurrency = 4
            let schedulers = hosts.enumerated().map { index, host in
                SchedulerService(registry: host.registry, settings: settings, workerID: "host-\(index)")
            }
            await withTaskGroup(of: Void.self) { group in
                for scheduler in schedulers {
                    group.addTask {
                        while await scheduler.runDue(limit: 10) > 0 {}
                    }
                }
            }
            let counts = executions.counts
            #expect(counts.count == 1000)
            #expect(counts.values.allSatisfy { $0 == 1 }, "a job ran twice")
            let byWorker = try hosts[0].services.database.read {
                try $0.query("SELECT COUNT(*) AS n FROM jobs WHERE status = 'done'")
            }
            #expect(byWorker.first?.int("n") == 1000)
        }
    }
}

@Suite("Several hosts on one PostgreSQL database")
struct MultiHostTests {
    @Test("a tenant onboarded on one host is served by the other within a second, and disabled on both")
    func onboardingReachesTheOtherHost() async throws {
        try await PostgresTestServer.withSchema { url in
            let yaml = manifest(slug: "first", domain: "first.localhost")
            let hosts = try (0..<2).map { _ in
                try TestEnvironment.host(manifests: ["first": yaml], configure: {
                    $0.database = .postgres(url: url)
                    $0.tenantSyncInterval = .milliseconds(100)
                })
            }
            try await hosts[1].buildApplication().test(.router) { client in
                let other = APIClient(client: client, host: "newco.localhost")
                #expect(try await other.get("/api/v1/tenant").status == .notFound)
                _ = try hosts[0].registry.onboard(yaml: manifest(slug: "newco", domain: "newco.localhost"), actor: "test")
                let onboarded = ContinuousClock.now
                var served = false
                while !served, ContinuousClock.now - onboarded < .seconds(10) {
                    served = try await other.get("/api/v1/tenant").status == .ok
                    if !served { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(served, "the second host never served the tenant onboarded on the first")
                #expect(ContinuousClock.now - onboarded < .seconds(10))

                _ = try hosts[0].registry.disable(slug: "newco", actor: "test")
                var gone = false
                let disabled = ContinuousClock.now
                while !gone, ContinuousClock.now - disabled < .seconds(10) {
                    gone = try await other.get("/api/v1/tenant").status == .notFound
                    if !gone { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(gone, "the second host still serves a tenant disabled on the first")
            }
        }
    }
}

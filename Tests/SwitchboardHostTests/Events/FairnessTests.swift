import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// One tenant's hung plugin holds only that tenant's work: its calls wait their turn without a thread, the other
/// tenants' events and plugin routes go on, and an inline call over its budget is answered 504, logged and counted.
@Suite("Tenants do not stall each other")
struct FairnessTests {
    enum Isolation: String, CaseIterable, Sendable { case inline, process }

    /// Tenant "slow" runs the recorder behind `gate` (`isolation`, a minute's budget), tenant "quick" runs it inline.
    static func host(gate: URL, isolation: Isolation, budgetMillis: Int = 60_000) throws -> SwitchboardHost {
        let plugins = try EventPipelineTests.plugins([("recorder", #"["message.received"]"#)])
        let slow = EventPipelineTests.manifest(
            "slow", plugins: ["recorder"],
            pluginLines: "    isolation: \(isolation.rawValue)\n    timeout_ms: \(budgetMillis)\n    config: {gate: \"\(gate.path)\"}")
        return try TestEnvironment.host(manifests: ["slow": slow, "quick": EventPipelineTests.manifest("quick", plugins: ["recorder"])]) {
            $0.pluginsDirectory = plugins
        }
    }

    @Test("while one tenant's plugin hangs with more calls waiting for it, another tenant's events are delivered and its plugin routes answer",
          arguments: Isolation.allCases)
    func hungTenantStallsNoOther(isolation: Isolation) async throws {
        let gate = try TestEnvironment.temporaryDirectory().appendingPathComponent("gate")
        FileManager.default.createFile(atPath: gate.path, contents: nil)
        let host = try Self.host(gate: gate, isolation: isolation)
        let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
        try await host.buildApplication().test(.router) { client in
            // Three contacts of the slow tenant: three lanes, so three deliveries at once, one inside the plugin and two
            // waiting for it; then two messages for the quick tenant.
            for number in 1...3 {
                #expect(try await EventPipelineTests.sandbox(client, tenant: "slow", from: "+3160000010\(number)", text: "slow \(number)") == .accepted)
            }
            let slowRound = Task { await scheduler.runDue(limit: 20) }
            let running = try await eventually {
                try host.services.jobs.list(tenantID: "slow", pluginID: "recorder", status: "running", kind: EventLog.deliverKind).count == 3
            }
            #expect(running, "the slow tenant's three deliveries are under way")
            for number in 1...2 {
                #expect(try await EventPipelineTests.sandbox(client, tenant: "quick", from: "+3160000020\(number)", text: "quick \(number)") == .accepted)
            }
            let quickRound = await scheduler.runDue(limit: 20)
            #expect(quickRound == 2)
            #expect(EventPipelineTests.texts(try EventPipelineTests.seen(host, "quick", "recorder")) == ["quick 1", "quick 2"])
            let route = try await APIClient(client: client, host: "quick.localhost").get("/api/recorder")
            #expect(route.status == .ok && route.json["recorded"] == 2)
            #expect(try EventPipelineTests.seen(host, "slow", "recorder").isEmpty, "the slow plugin is still held")

            try FileManager.default.removeItem(at: gate)
            #expect(await slowRound.value == 3)
            #expect(Set(EventPipelineTests.texts(try EventPipelineTests.seen(host, "slow", "recorder"))) == ["slow 1", "slow 2", "slow 3"])
        }
    }

    @Test("an inline call over its budget answers 504 while it runs on; a request behind it gives up after the budget with 503; the overrun is counted")
    func inlineBudget() async throws {
        let gate = try TestEnvironment.temporaryDirectory().appendingPathComponent("gate")
        FileManager.default.createFile(atPath: gate.path, contents: nil)
        let host = try Self.host(gate: gate, isolation: .inline, budgetMillis: 300)
        try await host.buildApplication().test(.router) { client in
            let slow = APIClient(client: client, host: "slow.localhost")
            // Two requests at once: the one that gets in waits for its answer, the other for its turn.
            async let one = slow.get("/api/recorder")
            async let other = slow.get("/api/recorder")
            let replies = try await [one, other]
            let timedOut = try #require(replies.first { $0.status == .gatewayTimeout })
            #expect(timedOut.text.contains("did not answer within 300 ms"))
            let busy = try #require(replies.first { $0.status == .serviceUnavailable })
            #expect(busy.text.contains("still busy") && busy.headers[.retryAfter] == "1")
            #expect(try await APIClient(client: client, host: "quick.localhost").get("/api/recorder").status == .ok, "the other tenant answers")
            let metrics = try await APIClient(client: client, host: "localhost", token: "test-admin-token").get("/metrics")
            let overruns = metrics.text.split(separator: "\n").filter { $0.hasPrefix("switchboard_plugin_call_overruns") }
            #expect(overruns.contains { $0.contains(#"plugin="recorder""#) && $0.contains(#"call="handle_http""#) })
            try FileManager.default.removeItem(at: gate)
            #expect(try await eventually { try await slow.get("/api/recorder").status == .ok }, "the plugin answers again once it is let go")
        }
    }
}

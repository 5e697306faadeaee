import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Outbound sends through the scheduler against providers that time out, answer 500, answer 429 with
/// `Retry-After`, or drop the connection: every send ends as sent, or dead-lettered with its reason; the
/// provider sees each message as often as it was attempted, and no message row is lost or doubled.
@Suite("Provider faults: retries, Retry-After and the dead-letter list")
struct ProviderFaultTests {
    static let phoneNumberID = "1065"

    /// A WhatsApp tenant whose Cloud API is at `graph`, open at all hours.
    static func tenantManifest(slug: String, graph: String) -> String {
        let env = { (value: String) in "env:" + uniqueSecret(value) }
        return manifest(slug: slug, domain: "\(slug).localhost", channels: """
              whatsapp: {phone_number_id: "\(phoneNumberID)", verify_token: \(env("v")), app_secret: \(env("s")), access_token: \(env("t")), api_base: "\(graph)/v21.0"}
            messaging:
              allowed_hours: "00:00-24:00"
            """)
    }

    /// Stores an inbound message (opening the 24-hour window) and sends `text` back; returns the message id.
    static func send(_ text: String, host: SwitchboardHost, tenant: Tenant) throws -> String {
        _ = try InboundProcessor(services: host.services).ingest(
            InboundMessage(channel: "whatsapp", providerMessageID: "wamid.IN.\(text)", phone: "+16505551234", text: "hi"), tenant: tenant)
        let contact = try #require(try host.services.contacts.find(tenantID: tenant.slug, .phone("+16505551234")))
        let result = try Outbound(services: host.services).send(
            .init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: text), tenant: tenant, actor: "test")
        #expect(result.status == "queued")
        return result.messageID
    }

    static func row(_ host: SwitchboardHost, _ id: String) throws -> Row? {
        try host.services.database.read { try $0.query("SELECT * FROM messages WHERE id = $1", [.text(id)]).first }
    }

    static func job(_ host: SwitchboardHost, _ tenant: String, _ messageID: String) throws -> JobRecord? {
        try host.services.jobs.list(tenantID: tenant, pluginID: nil, status: nil, kind: Outbound.deliverKind)
            .first { $0.payload["message_id"]?.stringValue == messageID }
    }

    @Test("timeout, 500 and 429 are retried until sent (429 not before its Retry-After); always-500 and dropped connections end dead with a reason")
    func faults() async throws {
        let calls = Shared<[String: Int]>([:])
        try await FakeProvider.run(routes: { router in
            router.post("/v21.0/\(Self.phoneNumberID)/messages") { request, _ -> Response in
                var request = request
                let text = (try? JSON.parse(bytes: Array(buffer: try await request.collectBody(upTo: 1 << 16))))?["text"]?["body"]?.stringValue ?? ""
                let call = calls.withValue { $0[text, default: 0] += 1; return $0[text]! }
                switch (text, call) {
                case ("timeout", 1): try await Task.sleep(for: .seconds(10))  // past the host's provider timeout
                case ("flaky", 1), ("down", _): return Response(status: .internalServerError)
                case ("busy", 1): return Response(status: .tooManyRequests, headers: [.retryAfter: "120"])
                default: break
                }
                return try fakeJSON(["messages": [["id": .string("wamid.\(text).\(call)")]]])
            }
        }) { graph in
            try await DroppingServer.run { dropping in
                let host = try TestEnvironment.host(
                    manifests: ["pf": Self.tenantManifest(slug: "pf", graph: graph.baseURL), "pd": Self.tenantManifest(slug: "pd", graph: dropping.baseURL)],
                    configure: {
                        // Short enough for the "timeout" case, long enough for a busy machine to answer the others in.
                        $0.providerTimeoutMillis = 4000
                        // Each round runs every due send of the tenant, and HelloC's events besides.
                        $0.scheduler.perTenant = 20
                    })
                let faulty = try #require(host.registry.tenant(slug: "pf")), unreachable = try #require(host.registry.tenant(slug: "pd"))
                var ids: [String: String] = [:]
                for text in ["timeout", "flaky", "busy", "down"] { ids[text] = try Self.send(text, host: host, tenant: faulty) }
                ids["dropped"] = try Self.send("dropped", host: host, tenant: unreachable)

                let clock = TestClock()
                let start = clock.now
                let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test", now: { clock.now })
                _ = await scheduler.runDue(limit: 20)
                #expect(calls.value == ["timeout": 1, "flaky": 1, "busy": 1, "down": 1] && dropping.dropped == 1)
                let busy = try #require(try Self.job(host, "pf", ids["busy"]!))
                #expect(busy.status == "pending" && busy.runAt >= start + 120_000 && busy.lastError?.contains("429") == true, "the retry waits for Retry-After")

                clock.advance(by: .seconds(60))  // past any backoff of a first attempt, before the Retry-After
                _ = await scheduler.runDue(limit: 20)
                #expect(calls.value["busy"] == 1, "not retried before its Retry-After")
                #expect(calls.value["timeout"] == 2 && calls.value["flaky"] == 2)
                clock.advance(to: start + 121_000)
                _ = await scheduler.runDue(limit: 20)
                #expect(calls.value["busy"] == 2)

                for _ in 0..<8 {  // backoff caps at an hour: every round runs whatever is still retrying
                    clock.advance(by: .seconds(3_700))
                    _ = await scheduler.runDue(limit: 20)
                }
                for text in ["timeout", "flaky", "busy"] {
                    let row = try #require(try Self.row(host, ids[text]!))
                    #expect(row.string("status") == "sent" && row.string("provider_message_id") == "wamid.\(text).2", "\(text)")
                    #expect(try Self.job(host, "pf", ids[text]!)?.status == "done")
                }
                let maxAttempts = try #require(try Self.job(host, "pf", ids["down"]!)).maxAttempts
                #expect(calls.value == ["timeout": 2, "flaky": 2, "busy": 2, "down": maxAttempts], "each message reached the provider once per attempt")
                #expect(dropping.dropped == maxAttempts)
                for (text, tenant) in [("down", "pf"), ("dropped", "pd")] {
                    let row = try #require(try Self.row(host, ids[text]!))
                    #expect(row.string("status") == "failed" && row.string("error_code") == OutboundDelivery.retriesExhausted, "\(text)")
                    let job = try #require(try Self.job(host, tenant, ids[text]!))
                    #expect(job.status == "dead" && job.attempts == maxAttempts && job.lastError?.contains("provider unavailable") == true, "\(text): \(job.lastError ?? "")")
                }
                let stored = try host.services.database.read { try $0.query("SELECT COUNT(*) AS n FROM messages WHERE direction = 'outbound'", []).first?.int("n") }
                #expect(stored == 5, "no message lost or doubled")
            }
        }
    }
}

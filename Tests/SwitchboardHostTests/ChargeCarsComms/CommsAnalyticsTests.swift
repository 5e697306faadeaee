import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// `GET /api/communication/analytics` against a fixture of five threads whose figures are counted by hand below.
@Suite("ChargeCarsComms: analytics", .serialized)
struct CommsAnalyticsTests {
    static let base: Int64 = 1_000_000
    static let minute: Int64 = 60_000

    /// A thread record as the plugin stores it.
    static func thread(
        _ id: String, channel: String, team: String?, firstResponse: Int64? = nil, resolved: Int64? = nil, breached: Bool = false,
        target: Double, auto: Bool?, byHand: Bool = false, openedAt: Int64 = base
    ) -> JSON {
        [
            "id": .string(id), "thread_subject": .string(id), "thread_type": "customer_support", "priority": "normal",
            "status": resolved == nil ? "open" : "resolved", "channel_type": .string(channel), "team": team.map(JSON.string) ?? .null,
            "tags": [], "external_references": [:], "opened_at": .number(Double(openedAt)),
            "first_response_at": firstResponse.map { .number(Double(base + $0 * minute)) } ?? .null,
            "resolved_at": resolved.map { .number(Double(base + $0 * minute)) } ?? .null,
            "sla": ["target_seconds": .number(target), "fired": breached ? ["reminder", "team_lead", "manager"] : [], "breached": .bool(breached)],
            "auto_assigned": auto.map(JSON.bool) ?? .null, "assignment_changed_by_hand": .bool(byHand),
        ]
    }

    /// Message records of a thread: one per type given, a minute apart.
    static func messages(_ thread: String, _ types: [(String, String?)]) -> [(String, JSON)] {
        types.enumerated().map { index, entry in
            let at = base + Int64(index) * minute
            let key = "\(thread)|\(String(format: "%015lld", at))|\(thread)-\(index)"
            let message: JSON = [
                "id": .string("\(thread)-\(index)"), "thread_id": .string(thread), "channel_type": "whatsapp_business",
                "message_type": .string(entry.0), "attachments": [], "delivery_status": "sent", "created_at": .number(Double(at)),
                "metadata": entry.1.map { ["template_name": .string($0)] } ?? [:],
            ]
            return (key, message)
        }
    }

    /// Stores the five threads, their messages and a host template used four times.
    static func storeFixture(_ cc: CommsHarness) throws {
        let scope = RecordStore.Scope(tenantID: "lq", pluginID: "chargecars-comms")
        let records = cc.host.services.records
        let threads = [
            Self.thread("t1", channel: "whatsapp_business", team: "customer_service", firstResponse: 10, resolved: 60, target: 3600, auto: true),
            Self.thread("t2", channel: "whatsapp_business", team: "customer_service", firstResponse: 30, target: 3600, auto: true, byHand: true),
            Self.thread("t3", channel: "email_outlook", team: "technical", firstResponse: 300, resolved: 600, breached: true, target: 14_400, auto: true),
            Self.thread("t4", channel: "email_outlook", team: nil, target: 14_400, auto: nil),
            Self.thread("t5", channel: "email_outlook", team: "technical", firstResponse: 1, target: 14_400, auto: true, openedAt: Self.base - 1),
        ]
        for thread in threads { try records.put(scope, collection: "threads", key: thread["id"]!.stringValue!, value: try thread.serialized()) }
        let fixture = Self.messages("t1", [("incoming", nil), ("incoming", nil), ("outgoing", "planning")])
            + Self.messages("t2", [("incoming", nil), ("outgoing", nil)])
            + Self.messages("t3", [("incoming", nil), ("system_notification", nil), ("outgoing", nil)])
            + Self.messages("t4", [("incoming", nil), ("internal_note", nil)])
            + Self.messages("t5", [("incoming", nil), ("outgoing", "planning")])
        for (key, message) in fixture { try records.put(scope, collection: "thread_messages", key: key, value: try message.serialized()) }
        let planning = MessageTemplate(
            id: "tpl-planning", name: "planning", channel: "whatsapp", language: "nl", category: "utility", subject: nil, body: "Hoi",
            htmlBody: nil, variables: [], approvalStatus: "approved", businessEntity: nil, active: true, usageCount: 0, createdAt: 0, updatedAt: 0)
        try cc.host.services.templates.create(tenantID: "lq", template: planning)
        for _ in 0..<4 { _ = try cc.host.services.templates.recordUse(tenantID: "lq", id: planning.id) }
    }

    @Test("first response, resolution, SLA compliance, volume, messages per resolution, escalation, templates and assignment accuracy")
    func handCounted() async throws {
        try await CommsHarness.run { cc in
            try Self.storeFixture(cc)
            try await cc.host.buildApplication().test(.router) { client in
                let result = try await cc.api(client).get("/api/communication/analytics?from=\(Self.base)").json
                // t5 opened before `from`. Overall: 4 threads, 3+2+2+1 conversational messages; first responses 10, 30, 300 min;
                // resolutions 60 and 600; SLA met by t1, t2 of the timed t1–t3; 5 messages over 2 resolutions; t3 escalated;
                // auto-assigned t1–t3, t2 changed by hand; one of three outgoing used a template.
                let overall = try #require(result["overall"])
                #expect(overall["threads"] == 4 && overall["messages"] == 8)
                #expect(abs((overall["first_response_avg_minutes"]?.doubleValue ?? 0) - 340.0 / 3) < 1e-9)
                #expect(overall["first_response_median_minutes"] == 30 && overall["resolution_avg_minutes"] == 330)
                #expect(overall["sla_compliance_rate"] == .number(2.0 / 3) && overall["messages_per_resolution"] == 2.5)
                #expect(overall["escalation_rate"] == 0.25 && overall["auto_assignment_accuracy"] == .number(2.0 / 3))
                // the usage count is the host template's.
                #expect(result["template_share"] == .number(1.0 / 3) && result["template_usage"] == ["planning": 4])

                let whatsapp = try #require(result["by_channel"]?["whatsapp_business"])
                #expect(whatsapp["threads"] == 2 && whatsapp["messages"] == 5 && whatsapp["first_response_avg_minutes"] == 20)
                #expect(whatsapp["first_response_median_minutes"] == 20 && whatsapp["sla_compliance_rate"] == 1 && whatsapp["messages_per_resolution"] == 3)
                #expect(whatsapp["escalation_rate"] == 0 && whatsapp["auto_assignment_accuracy"] == 0.5)
                let email = try #require(result["by_channel"]?["email_outlook"])
                #expect(email["threads"] == 2 && email["messages"] == 3 && email["sla_compliance_rate"] == 0 && email["escalation_rate"] == 0.5)
                #expect(email["resolution_avg_minutes"] == 600 && email["auto_assignment_accuracy"] == 1)

                let technical = try #require(result["by_team"]?["technical"])
                #expect(technical["threads"] == 1 && technical["escalation_rate"] == 1 && technical["first_response_avg_minutes"] == 300)
                let unassigned = try #require(result["by_team"]?["unassigned"])
                #expect(unassigned["threads"] == 1 && unassigned["first_response_avg_minutes"] == .null && unassigned["auto_assignment_accuracy"] == .null)
                #expect(result["by_team"]?["customer_service"]?["messages"] == 5)
            }
        }
    }

    @Test("the SLA dashboard draws the analytics as SVG charts whose text carries the figures; it needs analytics:read")
    func dashboardPage() async throws {
        try await CommsHarness.run { cc in
            try Self.storeFixture(cc)
            for (email, role) in [("lead@chargecars.example", "viewer"), ("agent@chargecars.example", "agent")] {
                _ = try cc.host.services.credentials.createUser(tenantID: "lq", email: email, name: email, role: role, password: "correct horse battery", actor: "test")
            }
            try await cc.host.buildApplication().test(.router) { client in
                let lead = ConsoleBrowser(client, domain: "lq.localhost")
                #expect(try await lead.signIn("lead@chargecars.example", "correct horse battery").status == .seeOther)
                #expect(try await lead.get("/console").html.contains("href=\"/console/app/communication/dashboard\">SLA dashboard</a>"))
                let page = try await lead.get("/console/app/communication/dashboard?from=\(Self.base)")
                #expect(page.status == .ok && page.html.contains("<svg") && page.html.contains("<h1>SLA dashboard</h1>"))
                // the same hand-counted figures as the analytics test, as the charts' text alternatives.
                #expect(page.html.contains("4 threads; SLA compliance 67 %, median first response 30 min, escalation rate 25 %."))
                #expect(page.html.contains("<title>SLA compliance per channel (%)</title><desc>email_outlook: 0 %; whatsapp_business: 100 %</desc>"))
                #expect(page.html.contains("<title>SLA compliance per team (%)</title><desc>customer_service: 100 %; technical: 0 %</desc>"))
                #expect(page.html.contains("<desc>email_outlook: 300 min; whatsapp_business: 20 min</desc>"))
                #expect(page.html.contains("<title>Escalation rate per channel (%)</title><desc>email_outlook: 50 %; whatsapp_business: 0 %</desc>"))
                #expect(page.html.contains("<desc>customer_service: 0 %; technical: 100 %; unassigned: 0 %</desc>"))

                let agent = ConsoleBrowser(client, domain: "lq.localhost")
                _ = try await agent.signIn("agent@chargecars.example", "correct horse battery")
                #expect(try await agent.get("/console").html.contains("SLA dashboard") == false, "no analytics:read, no nav entry")
                #expect(try await agent.get("/console/app/communication/dashboard").status == .forbidden)
            }
        }
    }
}

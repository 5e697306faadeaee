import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 002 §9 "Policy/Compliance" and "Technisch" for the LeadQualifier, the GDPR operations, the CRM
/// webhook with retries and the dead-letter list, and the KPIs against a hand-counted fixture.
@Suite("LeadQualifier: policy, privacy, CRM and KPIs", .serialized)
struct LeadQualifierComplianceTests {
    @Test("policy: a session text outside the 24 h window is blocked, the approved template goes, replies inside the window go")
    func serviceWindow() async throws {
        try await LeadQualifierHarness.run { lq, client in
            _ = try await lq.optIn(client)
            let contactID = try lq.contactID()
            let api = lq.api(client)
            func send(_ message: JSON) async throws -> APIClient.Reply {
                var body = message.objectValue ?? [:]
                body["contact_id"] = .string(contactID)
                body["channel"] = "whatsapp"
                return try await api.post("/api/v1/messages/send", .object(body))
            }
            let blocked = try await send(["type": "session_text", "text": "Hallo"])
            #expect(blocked.status == .unprocessableContent && blocked.json["errors"]?.arrayValue?.first?["message"] == "outside_service_window")
            await lq.settle(advancing: .seconds(6 * 60))
            #expect(lq.whatsAppSends == ["template:lead_welcome_v1"], "the template went; the blocked text did not")
            try await lq.inbound(client, "ja")
            #expect(lq.whatsAppSends.last?.contains("Schaltest du") == true, "inside the window a session text goes")

            // The window the lead's "ja" opened closes 24 h later: a text meant for after that is blocked, a template is not.
            let late = JSON.number(Double(Clock.nowMillis() + 25 * 3_600_000))
            let expired = try await send(["type": "session_text", "text": "Noch da?", "send_at": late])
            #expect(expired.status == .unprocessableContent && expired.json["errors"]?.arrayValue?.first?["message"] == "outside_service_window")
            let template = try await send(["type": "template", "template_name": "lead_followup_24h_v1", "variables": ["1": "Anna"], "send_at": late])
            #expect(template.status == .accepted && template.json["status"] == "scheduled")
            let reasons = try lq.host.services.audit.entries(tenantID: "lq", action: "policy_blocked_send").compactMap { $0.details["reason"]?.stringValue }
            #expect(reasons == ["outside_service_window", "outside_service_window"], "both blocks audited")
        }
    }

    @Test("consent revoked by STOP over WhatsApp: follow-ups cancelled, a scheduled campaign blocked at delivery, new marketing refused, service replies still go")
    func stopBlocksMarketing() async throws {
        try await LeadQualifierHarness.run { lq, client in
            let contactID = try await lq.agreedLead(client)
            let api = lq.api(client)
            let campaign = try await api.post("/api/v1/messages/send", [
                "contact_id": .string(contactID), "channel": "whatsapp", "type": "template", "template_name": "lead_followup_48h_v1",
                "send_at": .number(Double(Clock.nowMillis() + 2 * 3_600_000)),
            ])
            #expect(campaign.status == .accepted && campaign.json["status"] == "scheduled")
            #expect(try lq.jobs(status: "pending").count == 3, "the nudge and both follow-ups wait")

            try await lq.inbound(client, "STOP")
            #expect(lq.whatsAppSends.last?.contains("keine Nachrichten mehr") == true)
            #expect(try lq.host.services.contacts.find(tenantID: "lq", .id(contactID))?.attributes["consent_status"] == "revoked")
            #expect(try lq.host.services.audit.entries(tenantID: "lq", action: "consent_revoked").first?.details["source"] == "whatsapp_stop")
            #expect(try lq.jobs(status: "pending").isEmpty, "the follow-ups are cancelled")

            await lq.settle(advancing: .seconds(3 * 3600))
            #expect(!lq.whatsAppSends.contains("template:lead_followup_48h_v1"), "the campaign did not go")
            let blocked = try lq.host.services.audit.entries(tenantID: "lq", action: "policy_blocked_send")
            #expect(blocked.contains { $0.subject == campaign.json["message_id"]?.stringValue && $0.details["reason"] == "consent_revoked" })
            let refused = try await api.post("/api/v1/messages/send", [
                "contact_id": .string(contactID), "channel": "whatsapp", "type": "template", "template_name": "lead_nudge_v1",
            ])
            #expect(refused.status == .unprocessableContent && refused.json["errors"]?.arrayValue?.first?["message"] == "consent_revoked")
            let service = try await api.post("/api/v1/messages/send", [
                "contact_id": .string(contactID), "channel": "whatsapp", "type": "session_text", "text": "Deine Daten bleiben bei uns sicher.",
            ])
            #expect(service.status == .accepted, "a service message inside the window is not marketing")
        }
    }

    @Test("policy: outside the allowed hours the welcome is moved into them, not dropped")
    func quietHours() async throws {
        let hour = try #require(LeadQualifierHarness.berlin(Clock.nowMillis() + 6 * 60_000).hour)
        let from = hour + 2 <= 21 ? hour + 2 : 3
        try await LeadQualifierHarness.run(messaging: String(format: "\"%02d:00-%02d:00\"", from, from + 1)) { lq, client in
            _ = try await lq.optIn(client)
            await lq.settle(advancing: .seconds(6 * 60))
            #expect(lq.whatsAppSends.isEmpty)
            let shifted = try lq.host.services.audit.entries(tenantID: "lq", action: "policy_shifted_send")
            let sendAt = try #require(shifted.first?.details["send_at"]?.doubleValue)
            let local = LeadQualifierHarness.berlin(Int64(sendAt)).hour
            #expect(local == from && shifted.first?.details["reason"] == "quiet_hours")
        }
    }

    @Test("GDPR: export returns everything on the contact, revoke-consent blocks marketing and cancels it, delete erases; all audited")
    func privacy() async throws {
        try await LeadQualifierHarness.run { lq, client in
            let contactID = try await lq.agreedLead(client)
            let api = lq.api(client)
            let viewer = APIClient(client: client, host: "lq.localhost", token: try lq.host.token("lq", role: "viewer"))
            #expect(try await viewer.post("/privacy/export", ["contact_id": .string(contactID)]).status == .forbidden)

            let export = try await api.post("/privacy/export", ["contact_id": .string(contactID)])
            #expect(export.status == .ok)
            #expect(export.json["contact"]?["phone"] == "+16505551234")
            let messages = export.json["conversations"]?.arrayValue?.first?["messages"]?.arrayValue ?? []
            #expect(messages.contains { $0["content"] == "ja" })
            #expect(export.json["qualification_answers"] != nil && (export.json["tasks_scheduled"]?.arrayValue?.isEmpty == false))
            #expect(try lq.host.services.audit.entries(tenantID: "lq", action: "data_exported").first?.subject == contactID)

            let revoked = try await api.post("/privacy/revoke-consent", ["phone": "+16505551234"])
            #expect(revoked.status == .ok && revoked.json["cancelled_tasks"] == .number(3))
            #expect(try lq.host.services.contacts.find(tenantID: "lq", .id(contactID))?.attributes["consent_status"] == "revoked")
            #expect(try lq.jobs(status: "pending").isEmpty, "nudge and follow-ups cancelled")
            #expect(try lq.host.services.audit.entries(tenantID: "lq", action: "consent_revoked").count == 1)
            let tenant = try #require(lq.host.registry.tenant(slug: "lq"))
            let marketing = try Outbound(services: lq.host.services).send(
                .init(contactID: contactID, channel: "whatsapp", type: "template", templateName: "lead_followup_48h_v1", language: "de"),
                tenant: tenant, actor: "test")
            #expect(marketing.status == "blocked" && marketing.reason == "consent_revoked")

            let deleted = try await api.post("/privacy/delete", ["contact_id": .string(contactID)])
            #expect(deleted.status == .ok)
            #expect(try lq.host.services.contacts.find(tenantID: "lq", .id(contactID)) == nil)
            #expect(try await api.get("/api/leadqualifier/leads/\(contactID)").status == .notFound)
            let stub = try #require(try lq.host.services.audit.entries(tenantID: "lq", action: "data_deleted").first)
            #expect(stub.subject == contactID && stub.details["phone"] == nil)
        }
    }

    @Test("CRM: a timeout and a 503 are retried until delivered; a CRM that keeps failing ends in the dead-letter list")
    func crmRetries() async throws {
        try await LeadQualifierHarness.run { lq, client in
            lq.behaviour.value.crmDelayFirst = true
            lq.behaviour.value.crmFailures = 1
            _ = try await lq.optIn(client)
            await lq.drainWithBackoff()
            let crm = try lq.jobs(kind: "crm_post")
            #expect(crm.count == 1 && crm.first?.status == "done" && crm.first?.attempts == 3, "timeout, 503, then delivered")
            let post = try #require(lq.server.requests.last { $0.path == "/crm" })
            let signature = "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array("crm-secret".utf8), data: post.body))
            #expect(post.headers["x-signature"] == signature)
            #expect(lq.crmPosts.last?["type"] == "lead_upsert")

            lq.behaviour.value.crmFailures = 100
            _ = try await lq.optIn(client, phone: "+16505557777", name: "Carla")
            await lq.drainWithBackoff()
            let dead = try lq.jobs(kind: "crm_post", status: "dead")
            #expect(dead.count == 1 && dead.first?.lastError?.contains("503") == true)
        }
    }

    @Test("KPIs after four real conversations over signed webhooks match the hand count")
    func kpisFromConversations() async throws {
        try await LeadQualifierHarness.run { lq, client in
            // Anna books and shows up, Ben has under 100 leads, Carla never answers, Dora sends STOP. Hand count:
            // welcomes 4, replies 3 → 0.75; flows answered 2, qualified 1 → 0.5; booked 1 of 1 → 1; attended 1 of 1 → 1;
            // opted out 1 of 4 → 0.25; three first responses, each after the 30 s reply delay.
            let leads = [("+16505551234", "Anna"), ("+16505559999", "Ben"), ("+16505557777", "Carla"), ("+16505558888", "Dora")]
            for (phone, name) in leads { _ = try await lq.optIn(client, phone: phone, name: name) }
            await lq.settle(advancing: .seconds(6 * 60))
            for text in ["ja", "jo klar", "ca. 250", "1"] { try await lq.inbound(client, text) }
            for text in ["ja", "ja", "so 80 im Monat"] { try await lq.inbound(client, text, from: "16505559999") }
            try await lq.inbound(client, "STOP", from: "16505558888")
            let eventID = try #require(try lq.conversation(try lq.contactID())?.attributes["lq_event_id"]?.stringValue)
            #expect(try await lq.api(client).post("/api/leadqualifier/appointments/\(eventID)/attendance", ["attended": true]).status == .ok)

            let from = Clock.nowMillis() - 3_600_000, to = Clock.nowMillis() + 86_400_000
            let kpis = try await lq.api(client).get("/api/leadqualifier/kpis?from=\(from)&to=\(to)").json
            #expect(kpis["leads"] == 4 && kpis["counts"]?["first_contacts"] == 4 && kpis["counts"]?["replies"] == 3)
            #expect(kpis["reply_rate"] == 0.75)
            #expect(kpis["qualification_rate"] == 0.5)
            #expect(kpis["booking_rate"] == 1)
            #expect(kpis["show_up_rate"] == 1)
            #expect(kpis["opt_out_rate"] == 0.25)
            #expect((kpis["median_time_to_first_response_ms"]?.doubleValue ?? 0) >= 30_000)
            let later = try await lq.api(client).get("/api/leadqualifier/kpis?from=\(to)").json
            #expect(later["leads"] == 0 && later["reply_rate"] == .null, "no lead opted in after the range")
        }
    }

    @Test("KPIs match a hand-counted fixture, and attendance marks count toward the show-up rate")
    func kpis() async throws {
        try await LeadQualifierHarness.run { lq, client in
            // Ten leads in November, one in October (outside the range). Hand count for November:
            // welcome sent 8, replied 6 → reply 0.75; flows answered 5, qualified 4 → 0.8;
            // booked 2 of 4 → 0.5; attended 1 of 2 (marked over the API) → 0.5; opted out 2 of 10 → 0.2;
            // response times 2, 4, 6, 10, 30 s → median 6 s.
            let day: Int64 = 1_793_491_200_000  // 2026-11-01
            let leads: [JSON] = [
                ["contact_id": "c1", "optin_at": .number(Double(day)), "welcome_sent_at": 1, "first_inbound_at": 1000, "first_response_at": 3000, "qualified": true, "booked_at": 5, "event_id": "e1"],
                ["contact_id": "c2", "optin_at": .number(Double(day + 1)), "welcome_sent_at": 1, "first_inbound_at": 1000, "first_response_at": 5000, "qualified": true, "booked_at": 5, "event_id": "e2"],
                ["contact_id": "c3", "optin_at": .number(Double(day + 2)), "welcome_sent_at": 1, "first_inbound_at": 1000, "first_response_at": 7000, "qualified": true],
                ["contact_id": "c4", "optin_at": .number(Double(day + 3)), "welcome_sent_at": 1, "first_inbound_at": 1000, "first_response_at": 11000, "qualified": true],
                ["contact_id": "c5", "optin_at": .number(Double(day + 4)), "welcome_sent_at": 1, "first_inbound_at": 1000, "first_response_at": 31000, "qualified": false],
                ["contact_id": "c6", "optin_at": .number(Double(day + 5)), "welcome_sent_at": 1, "first_inbound_at": 1000, "opted_out_at": 9],
                ["contact_id": "c7", "optin_at": .number(Double(day + 6)), "welcome_sent_at": 1],
                ["contact_id": "c8", "optin_at": .number(Double(day + 7)), "welcome_sent_at": 1, "opted_out_at": 9],
                ["contact_id": "c9", "optin_at": .number(Double(day + 8))],
                ["contact_id": "c10", "optin_at": .number(Double(day + 9))],
                ["contact_id": "old", "optin_at": .number(Double(day - 86_400_000)), "welcome_sent_at": 1, "qualified": true],
            ]
            let scope = RecordStore.Scope(tenantID: "lq", pluginID: "leadqualifier")
            for lead in leads {
                try lq.host.services.records.put(scope, collection: "leads", key: lead["contact_id"]!.stringValue!, value: try lead.serialized())
            }
            for event in ["e1", "e2"] {
                try lq.host.services.records.put(scope, collection: "appointments", key: event, value: #"{"contact_id":"c\#(event.dropFirst())","starts_at":1}"#)
            }
            let api = lq.api(client)
            #expect(try await api.post("/api/leadqualifier/appointments/e1/attendance", ["attended": true]).status == .ok)
            #expect(try await api.post("/api/leadqualifier/appointments/e2/attendance", ["attended": false]).status == .ok)
            let analyst = APIClient(client: client, host: "lq.localhost", token: try lq.host.token("lq", role: "marketing"))
            let kpis = try await analyst.get("/api/leadqualifier/kpis?from=2026-11-01&to=2026-12-01")
            #expect(kpis.status == .ok)
            #expect(kpis.json["leads"] == 10)
            #expect(kpis.json["reply_rate"] == 0.75)
            #expect(kpis.json["qualification_rate"] == 0.8)
            #expect(kpis.json["booking_rate"] == 0.5)
            #expect(kpis.json["show_up_rate"] == 0.5)
            #expect(kpis.json["opt_out_rate"] == 0.2)
            #expect(kpis.json["median_time_to_first_response_ms"] == 6000)
        }
    }
}

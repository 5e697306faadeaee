import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 004 through the host's Outlook adapter, the auto-response and template replies.
@Suite("ChargeCarsComms: Outlook, auto-responses and templates", .serialized)
struct CommsChannelTests {
    @Test("an Outlook mail creates an email thread with its order, team, agent and 4 h deadline; a reply in its conversation joins it; closed, one auto-reply goes out by mail")
    func outlookInbound() async throws {
        let first = OutlookChannelTests.mail(
            id: "AAMkA1", conversation: "AAQkConv1", from: "dana@driver.example", subject: "Laadpaal storing bestelling 20451", html: "<p>Hij laadt niet.</p>")
        let second = OutlookChannelTests.mail(
            id: "AAMkA2", conversation: "AAQkConv1", from: "dana@driver.example", subject: "RE: Laadpaal storing bestelling 20451", html: "<p>Nog steeds.</p>")
        try await CommsHarness.run(periods: "{}", mails: ["AAMkA1": first, "AAMkA2": second]) { cc in
            try await cc.host.buildApplication().test(.router) { client in
                _ = try await cc.api(client).post("/api/orders", ["number": "20451", "customer_email": "dana@driver.example"])
                try await cc.outlook("AAMkA1")
                try await cc.outlook("AAMkA2")
                let threads = try #require(try await cc.api(client).get("/api/communication/threads?filter=email").json["data"]?.arrayValue)
                #expect(threads.count == 1)
                let thread = try #require(threads.first)
                #expect(thread["channel_type"] == "email_outlook" && thread["thread_type"] == "technical_issue")
                #expect(thread["thread_subject"] == "Laadpaal storing bestelling 20451" && thread["order_number"] == "20451")
                #expect(thread["team"] == "technical" && thread["assigned_to_contact_id"] == "alex")
                #expect(thread["external_references"]?["outlook_conversation_id"] == "AAQkConv1")
                let id = try #require(thread["id"]?.stringValue)
                let steps = try cc.pendingSteps(id)
                #expect(steps["manager"].map(Double.init) == thread["response_due_at"]?.doubleValue)
                #expect(thread["sla"]?["target_seconds"] == 14_400)
                let messages = try await cc.api(client).get("/api/communication/messages?thread_id=\(id)").json["data"]?.arrayValue ?? []
                #expect(messages.filter { $0["message_type"] == "incoming" }.compactMap { $0["message_content"]?.stringValue } == ["Hij laadt niet.", "Nog steeds."])
                #expect(messages.filter { $0["message_type"] == "auto_response" }.count == 1)
                let mails = cc.mailSends.compactMap { try? $0.serialized() }
                #expect(mails.count == 1 && mails.first?.contains("gesloten") == true)
            }
        }
    }

    @Test("outside business hours one auto-response goes out from its template; a reply fills a template's variables and the signature")
    func autoResponseAndTemplates() async throws {
        try await CommsHarness.run(periods: "{}") { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                let auto = try await api.post("/api/templates", [
                    "template_name": "auto_response", "template_category": "auto_response", "channel_type": "any",
                    "message_template": "Dank je {{customer_name}}, we zijn gesloten. {{signature}}",
                ])
                #expect(auto.status == .created)
                #expect(auto.json["variables"] == ["customer_name", "signature"] && auto.json["business_entity"] == "all")
                #expect(try await api.post("/api/templates", [
                    "template_name": "planning", "template_category": "installation_scheduling", "channel_type": "whatsapp_business",
                    "business_entity": "chargecars", "message_template": "Hoi {{customer_name}}, de monteur komt {{date}}. {{signature}}",
                ]).status == .created)
                #expect(try await api.post("/api/templates", ["template_name": "x", "template_category": "spam", "message_template": "x"]).status == .unprocessableContent)

                try await cc.whatsApp(client, "Hallo?", id: "wamid.R1")
                try await cc.whatsApp(client, "Iemand?", id: "wamid.R2")
                #expect(cc.whatsAppTexts == ["Dank je Sheena Nelson, we zijn gesloten. Team ChargeCars"])

                let id = try #require(try await api.get("/api/communication/threads").json["data"]?.arrayValue?.first?["id"]?.stringValue)
                let sent = try await api.post("/api/communication/messages", ["thread_id": .string(id), "template_name": "planning", "variables": ["date": "maandag"]])
                #expect(sent.status == .created)
                await cc.run(until: Date())
                #expect(cc.whatsAppTexts.last == "Hoi Sheena Nelson, de monteur komt maandag. Team ChargeCars")
                let messages = try await api.get("/api/communication/messages?thread_id=\(id)").json["data"]?.arrayValue ?? []
                #expect(messages.compactMap { $0["message_type"]?.stringValue } == ["incoming", "auto_response", "incoming", "outgoing"])
                #expect(messages.last?["message_content"] == "Hoi Sheena Nelson, de monteur komt maandag. Team ChargeCars")
                let templates = try await api.get("/api/templates?template_category=installation_scheduling").json["data"]?.arrayValue ?? []
                #expect(templates.count == 1 && templates.first?["usage_count"] == 1)
                // the host owns activity and usage: its own template API agrees, and deactivating goes through it.
                let hosted = try await api.get("/api/v1/templates?name=planning").json["data"]?.arrayValue ?? []
                #expect(hosted.count == 1 && hosted.first?["usage_count"] == 1 && hosted.first?["active"] == true)
                let off = try await api.post("/api/templates", [
                    "template_name": "planning", "template_category": "installation_scheduling", "channel_type": "whatsapp_business",
                    "message_template": "Hoi {{customer_name}}", "is_active": false,
                ])
                #expect(off.json["is_active"] == false && off.json["usage_count"] == 1)
                #expect(try await api.get("/api/v1/templates?name=planning").json["data"]?.arrayValue?.first?["active"] == false)
                let refused = try await api.post("/api/communication/messages", ["thread_id": .string(id), "template_name": "planning"])
                #expect(refused.status == .notFound)
            }
        }
    }

    @Test("the daily digest mails an agent with an address their open threads and tasks, and schedules the next one")
    func digest() async throws {
        try await CommsHarness.run { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                #expect(try await api.post("/api/communication/threads", ["thread_subject": "Digest onderwerp", "thread_type": "customer_support"]).json["assigned_to_contact_id"] == "sarah")
                let task = try await api.post("/api/tasks", ["task_title": "Bel klant terug", "task_type": "callback", "priority": "critical", "assigned_to_contact_id": "sarah"])
                #expect(task.status == .created)
                #expect(task.json["task_type"] == "callback" && task.json["priority"] == "critical" && task.json["status"] == "open")
                #expect((task.json["due_at"]?.doubleValue ?? 0) > Double(Clock.nowMillis()), "no due date given: due one business hour on, by priority")
                let listed = try await api.get("/api/tasks?assigned_to_contact_id=sarah").json["data"]?.arrayValue ?? []
                #expect(listed.count == 1 && listed.first?["task_title"] == "Bel klant terug")
                let pending = try cc.host.services.jobs.list(tenantID: "lq", pluginID: "chargecars-comms", status: "pending", kind: "daily_digest")
                let first = try #require(pending.first?.runAt)
                await cc.run(until: Date(timeIntervalSince1970: Double(first) / 1000))
                let mails = cc.mailSends.compactMap { try? $0.serialized() }
                #expect(mails.count == 1)
                #expect(mails.first?.contains("Digest onderwerp") == true && mails.first?.contains("Bel klant terug") == true)
                #expect(mails.first?.contains("sarah@chargecars.example") == true)
                let next = try cc.host.services.jobs.list(tenantID: "lq", pluginID: "chargecars-comms", status: "pending", kind: "daily_digest")
                #expect(next.count == 1 && (next.first?.runAt ?? 0) > first)
            }
        }
    }
}

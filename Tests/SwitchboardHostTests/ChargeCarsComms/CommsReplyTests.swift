import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 004 "Outgoing: Log in thread" and "Read receipts" through the host's events: replies from the console, the
/// REST API and automation rules land in the thread; a person's reply stops the SLA clock, a rule's does not; WhatsApp
/// receipts move each message's delivery status on. The tenant is open at all hours, so no auto-response interferes.
@Suite("ChargeCarsComms: replies from every origin, delivery receipts", .serialized)
struct CommsReplyTests {
    static let password = "correct horse battery"

    /// The thread's messages, oldest first.
    static func messages(_ api: APIClient, _ threadID: String) async throws -> [JSON] {
        try await api.get("/api/communication/messages?thread_id=\(threadID)").json["data"]?.arrayValue ?? []
    }

    /// The thread the first inbound message opened.
    static func firstThread(_ api: APIClient) async throws -> JSON {
        try #require(try await api.get("/api/communication/threads").json["data"]?.arrayValue?.first)
    }

    /// A console user named `name` signed in on the tenant's console.
    static func console(_ cc: CommsHarness, _ client: some TestClientProtocol, name: String) async throws -> ConsoleBrowser {
        _ = try cc.host.services.credentials.createUser(
            tenantID: "lq", email: "\(name)@chargecars.example", name: name, role: "agent", password: password, actor: "test")
        let browser = ConsoleBrowser(client, domain: "lq.localhost")
        #expect(try await browser.signIn("\(name)@chargecars.example", password).status == .seeOther)
        return browser
    }

    /// Replies `text` in conversation `id` through the console's form, with its CSRF token, then runs the jobs it causes.
    static func reply(_ cc: CommsHarness, _ browser: ConsoleBrowser, in id: String, _ text: String) async throws {
        let csrf = try #require(try await browser.get("/console/conversations/\(id)").hidden("csrf"))
        #expect(try await browser.post("/console/conversations/\(id)/reply", [("text", text), ("csrf", csrf)]).status == .seeOther)
        await cc.settle()
    }

    @Test("a console reply is logged in its WhatsApp thread with its sender and stops the SLA clock: first response, in progress, no step runs; events delivered again change nothing", arguments: StorageDriver.allCases)
    func consoleReply(driver: StorageDriver) async throws {
        try await CommsHarness.run(driver: driver, periods: CommsHarness.allDay) { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                try await cc.whatsApp(client, "Mijn laadpaal laadt niet", id: "wamid.CR1")
                let opened = try await Self.firstThread(api)
                let id = try #require(opened["id"]?.stringValue)
                #expect(opened["status"] == "open" && opened["first_response_at"] == nil)
                #expect(try cc.pendingSteps(id).count == 4)

                let browser = try await Self.console(cc, client, name: "sarah")
                try await Self.reply(cc, browser, in: id, "We kijken er vandaag naar.")
                let messages = try await Self.messages(api, id)
                #expect(messages.compactMap { $0["message_type"]?.stringValue } == ["incoming", "outgoing"])
                let reply = try #require(messages.last)
                #expect(reply["sender_contact_id"] == "user:sarah@chargecars.example" && reply["message_content"] == "We kijken er vandaag naar.")
                #expect(reply["channel_type"] == "whatsapp_business" && reply["recipient_contact_id"] == opened["contact_id"])
                #expect(reply["delivery_status"] == "sent" && reply["external_message_id"] == "wamid.OUT1", "the host's delivery reported it sent")

                let answered = try await api.get("/api/communication/threads/\(id)").json
                #expect(answered["status"] == "in_progress" && answered["response_due_at"] == nil)
                #expect(answered["first_response_at"] == reply["created_at"] && answered["last_message_at"] == reply["created_at"])
                #expect(try cc.pendingSteps(id).isEmpty)

                // At least once: the reply and the customer's message, delivered again, log nothing twice and restart no clock.
                for type in [EventCatalogue.messageSent, EventCatalogue.messageReceived] {
                    try cc.host.redeliverLast(type, tenantID: "lq", to: "chargecars-comms")
                    await cc.settle()
                }
                let deliveries = try cc.host.services.jobs.list(tenantID: "lq", pluginID: "chargecars-comms", status: "done", kind: EventLog.deliverKind)
                #expect(deliveries.filter { $0.attempts == 2 }.count == 2, "the plugin got both a second time")
                #expect(try await Self.messages(api, id).count == 2)
                #expect(try cc.pendingSteps(id).isEmpty)

                await cc.run(until: Date().addingTimeInterval(3 * 86_400))
                let later = try await api.get("/api/communication/threads/\(id)").json
                #expect(later["sla"]?["fired"] == [] && later["status"] == "in_progress", "no step ran")
                #expect(later["response_due_at"] == nil && later["first_response_at"] == reply["created_at"])
                #expect(later["messages"]?.arrayValue?.contains { $0["message_type"] == "system_notification" } == false)
            }
        }
    }

    @Test("a reply through POST /api/v1/messages/send is logged with its token and stops the clock; an automation rule's message is logged but does not", arguments: StorageDriver.allCases)
    func apiAndRuleReplies(driver: StorageDriver) async throws {
        try await CommsHarness.run(driver: driver, periods: CommsHarness.allDay) { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                let rule = try await api.post("/api/v1/automation_rules", [
                    "name": "ontvangstbevestiging", "event": "message.received", "conditions": [],
                    "actions": [["send_message": ["text": "Bedankt, we komen zo bij u terug."]]],
                ])
                #expect(rule.status == .created)
                try await cc.whatsApp(client, "Wanneer komt de monteur?", id: "wamid.AR1")
                await cc.settle()
                let id = try #require(try await Self.firstThread(api)["id"]?.stringValue)
                let byRule = try await Self.messages(api, id)
                #expect(byRule.compactMap { $0["message_type"]?.stringValue } == ["incoming", "outgoing"])
                #expect(byRule.last?["sender_contact_id"] == "automation:ontvangstbevestiging")
                #expect(byRule.last?["message_content"] == "Bedankt, we komen zo bij u terug.")
                let waiting = try await api.get("/api/communication/threads/\(id)").json
                #expect(waiting["status"] == "open" && waiting["first_response_at"] == nil && waiting["response_due_at"] != nil)
                #expect(waiting["last_message_at"] == byRule.last?["created_at"])
                #expect(try cc.pendingSteps(id).count == 4, "a rule's message is no answer")

                let contactID = try #require(waiting["contact_id"]?.stringValue)
                let sent = try await api.post("/api/v1/messages/send", [
                    "contact_id": .string(contactID), "channel": "whatsapp", "type": "session_text", "text": "De monteur komt morgen om 10:00.",
                ])
                #expect(sent.status == .accepted)
                await cc.settle()
                let messages = try await Self.messages(api, id)
                #expect(messages.compactMap { $0["message_type"]?.stringValue } == ["incoming", "outgoing", "outgoing"])
                let reply = try #require(messages.last)
                #expect(reply["sender_contact_id"] == "token:test-admin" && reply["message_content"] == "De monteur komt morgen om 10:00.")
                #expect(reply["host_message_id"] == sent.json["message_id"])
                let answered = try await api.get("/api/communication/threads/\(id)").json
                #expect(answered["status"] == "in_progress" && answered["response_due_at"] == nil)
                #expect(answered["first_response_at"] == reply["created_at"] && answered["last_message_at"] == reply["created_at"])
                #expect(try cc.pendingSteps(id).isEmpty)
            }
        }
    }

    @Test("WhatsApp receipts move the plugin's own reply and a console reply on: read with the provider's time and never back to delivered; a failure keeps its error", arguments: StorageDriver.allCases)
    func receipts(driver: StorageDriver) async throws {
        try await CommsHarness.run(driver: driver, periods: CommsHarness.allDay) { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                try await cc.whatsApp(client, "Is mijn laadpaal al verzonden?", id: "wamid.RC1")
                let id = try #require(try await Self.firstThread(api)["id"]?.stringValue)
                let own = try await api.post("/api/communication/messages", ["thread_id": .string(id), "message_content": "Ja, hij is onderweg."])
                #expect(own.status == .created && own.json["delivery_status"] == "pending")
                await cc.settle()
                try await Self.reply(cc, try await Self.console(cc, client, name: "sarah"), in: id, "Hij wordt morgen bezorgd.")
                func outgoing() async throws -> [String: JSON] {
                    var byProvider: [String: JSON] = [:]
                    for message in try await Self.messages(api, id) where message["message_type"] == "outgoing" {
                        byProvider[message["external_message_id"]?.stringValue ?? ""] = message
                    }
                    return byProvider
                }
                let sent = try await outgoing()
                #expect(sent["wamid.OUT1"]?["sender_contact_id"] == "test-admin" && sent["wamid.OUT1"]?["delivery_status"] == "sent")
                #expect(sent["wamid.OUT2"]?["sender_contact_id"] == "user:sarah@chargecars.example" && sent["wamid.OUT2"]?["delivery_status"] == "sent")

                // The plugin's own reply as a record stored before the index of host messages existed.
                let ownHostID = try #require(sent["wamid.OUT1"]?["host_message_id"]?.stringValue)
                #expect(try cc.host.services.records.delete(.init(tenantID: "lq", pluginID: "chargecars-comms"), collection: "host_message_keys", key: ownHostID))

                let second = Clock.nowMillis() / 1000 - 60
                try await cc.whatsAppStatuses(client, [
                    ("wamid.OUT1", "delivered", second, nil), ("wamid.OUT1", "read", second + 5, nil),
                    ("wamid.OUT2", "failed", second + 6, (131047, "Re-engagement message")),
                ])
                try await cc.whatsAppStatuses(client, [("wamid.OUT1", "delivered", second + 10, nil)])
                let receipted = try await outgoing()
                let read = try #require(receipted["wamid.OUT1"])
                #expect(read["delivery_status"] == "read", "a late delivered does not move it back")
                #expect(read["read_at"]?.doubleValue == Double((second + 5) * 1000))
                let failed = try #require(receipted["wamid.OUT2"])
                #expect(failed["delivery_status"] == "failed" && failed["read_at"] == nil)
                #expect(failed["metadata"]?["error_code"] == "131047" && failed["metadata"]?["error_message"] == "Re-engagement message")
            }
        }
    }

    @Test("a scheduled message the policy blocks before it leaves (its contact wrote STOP meanwhile) fails in its thread with the policy's reason", arguments: StorageDriver.allCases)
    func blockedBeforeDelivery(driver: StorageDriver) async throws {
        try await CommsHarness.run(driver: driver, periods: CommsHarness.allDay) { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                try await cc.whatsApp(client, "Hebben jullie ook laadpalen voor bedrijven?", id: "wamid.BL1")
                let thread = try await Self.firstThread(api)
                let id = try #require(thread["id"]?.stringValue), contactID = try #require(thread["contact_id"]?.stringValue)
                let scheduled = try await api.post("/api/v1/messages/send", [
                    "contact_id": .string(contactID), "channel": "whatsapp", "type": "session_text", "category": "marketing",
                    "text": "Onze zakelijke aanbieding staat klaar.", "send_at": .number(Double(Clock.nowMillis() + 3_600_000)),
                ])
                #expect(scheduled.status == .accepted)
                await cc.settle()
                let logged = try #require(try await Self.messages(api, id).last)
                #expect(logged["message_type"] == "outgoing" && logged["delivery_status"] == "pending")

                try await cc.whatsApp(client, "STOP", id: "wamid.BL2")
                await cc.settle()
                let blocked = try #require(try await Self.messages(api, id).first { $0["host_message_id"] == scheduled.json["message_id"] })
                #expect(blocked["delivery_status"] == "failed")
                #expect(blocked["metadata"]?["error_code"] == "consent_revoked" && blocked["metadata"]?["error_message"]?.stringValue?.isEmpty == false)
            }
        }
    }
}

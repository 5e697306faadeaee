import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 004 through the host: inbound WhatsApp, assignment, the SLA ladder on business time, replies and channel secrets.
@Suite("ChargeCarsComms: inbox, assignment, SLA ladder", .serialized)
struct CommsInboundTests {
    @Test("a WhatsApp message creates a technical thread with its order, a skill-matched agent and a 1 h business-time deadline")
    func inboundWhatsApp() async throws {
        try await CommsHarness.run { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let order = try await cc.api(client).post("/api/orders", ["number": "12345", "customer_email": "other@driver.example", "organization_id": "org-7"])
                #expect(order.status == .created)
                try await cc.whatsApp(client, "Mijn Zaptec laadpaal geeft een storing, order #12345", id: "wamid.A1")
                let list = try await cc.api(client).get("/api/communication/threads?filter=whatsapp")
                #expect(list.status == .ok)
                let thread = try #require(list.json["data"]?.arrayValue?.first)
                #expect(thread["thread_type"] == "technical_issue")
                #expect(thread["order_id"] == order.json["id"] && thread["order_number"] == "12345" && thread["customer_organization_id"] == "org-7")
                #expect(thread["team"] == "technical" && thread["assigned_to_contact_id"] == "zoe")
                #expect(thread["status"] == "open" && thread["channel_type"] == "whatsapp_business")
                #expect(thread["external_references"]?["whatsapp_chat_id"] == "+31612345678")
                let id = try #require(thread["id"]?.stringValue)
                let conversation = try #require(try cc.host.services.conversations.find(tenantID: "lq", id: id))
                #expect(conversation.assignee == "zoe" && conversation.team == "technical")
                let due = try #require(thread["response_due_at"]?.doubleValue)
                #expect(Set(try cc.pendingSteps(id).keys) == ["reminder", "team_lead", "manager", "executive"])
                #expect(try cc.pendingSteps(id)["manager"] == Int64(due))
                let detail = try await cc.api(client).get("/api/communication/threads/\(id)")
                let incoming = try #require(detail.json["messages"]?.arrayValue?.first { $0["message_type"] == "incoming" })
                #expect(incoming["message_content"]?.stringValue?.contains("storing") == true)
                #expect(try await cc.api(client).get("/api/communication/threads?filter=email").json["data"]?.arrayValue?.count == 0)
            }
        }
    }

    @Test("the host console inbox shows a thread's priority and time to its SLA deadline and its internal notes; resolving clears the deadline")
    func consoleInboxSignals() async throws {
        try await CommsHarness.run { cc in
            _ = try cc.host.services.credentials.createUser(tenantID: "lq", email: "agent@chargecars.example", name: "Agent", role: "agent", password: "correct horse battery", actor: "test")
            try await cc.host.buildApplication().test(.router) { client in
                try await cc.whatsApp(client, "Mijn laadpaal laadt niet", id: "wamid.C1")
                let thread = try #require(try await cc.api(client).get("/api/communication/threads").json["data"]?.arrayValue?.first)
                let id = try #require(thread["id"]?.stringValue)
                let due = try #require(thread["response_due_at"]?.doubleValue)
                let conversation = try #require(try cc.host.services.conversations.find(tenantID: "lq", id: id))
                #expect(conversation.attributes["priority"] == "normal" && conversation.attributes["sla_due_at"]?.doubleValue == due)

                let browser = ConsoleBrowser(client, domain: "lq.localhost")
                #expect(try await browser.signIn("agent@chargecars.example", "correct horse battery").status == .seeOther)
                func row() async throws -> String {
                    let html = try await browser.get("/console").html
                    guard let link = html.range(of: "href=\"/console/conversations/\(id)\"") else { return "" }
                    let start = try #require(html[..<link.lowerBound].range(of: "<tr", options: .backwards))
                    let end = try #require(html[link.upperBound...].range(of: "</tr>"))
                    return String(html[start.lowerBound..<end.upperBound])
                }
                let normal = try await row()
                #expect(normal.contains("class=\"priority-normal\"") && normal.contains(">in "), "\(normal)")

                #expect(try await cc.api(client).send(.put, "/api/communication/threads/\(id)", json: ["priority": "urgent"]).status == .ok)
                let urgent = try await row()
                #expect(urgent.contains("class=\"priority-urgent\"") && urgent.contains(">in "), "\(urgent)")

                // An internal note is kept once, in the host's conversation, where the console shows it.
                #expect(try await cc.api(client).post("/api/communication/messages", ["thread_id": .string(id), "message_type": "internal_note", "message_content": "Ik bel de klant"]).status == .created)
                let stored = try cc.host.services.conversations.messages(tenantID: "lq", conversationID: id, page: PageRequest()).data
                #expect(stored.contains { $0.direction == "internal" && $0.content == "Ik bel de klant" })
                let notes = try await cc.api(client).get("/api/communication/threads/\(id)").json["messages"]?.arrayValue?.filter { $0["message_type"] == "internal_note" }
                #expect(notes?.map { $0["message_content"] } == ["Ik bel de klant"])
                #expect(try await browser.get("/console/conversations/\(id)?fragment=messages").html.contains("message internal\">Ik bel de klant"))

                #expect(try await cc.api(client).send(.put, "/api/communication/threads/\(id)", json: ["status": "resolved"]).status == .ok)
                let resolved = try #require(try cc.host.services.conversations.find(tenantID: "lq", id: id))
                #expect(resolved.status == "resolved" && resolved.attributes["sla_due_at"] == nil && resolved.attributes["priority"] == "urgent")
            }
        }
    }

    @Test("customer_support round-robins with capacity 1; the third thread waits in the FIFO queue until a thread is resolved")
    func capacityQueue() async throws {
        try await CommsHarness.run { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                var ids: [String] = []
                for n in 1...3 {
                    let reply = try await api.post("/api/communication/threads", ["thread_subject": .string("Vraag \(n)"), "thread_type": "customer_support"])
                    #expect(reply.status == .created)
                    ids.append(try #require(reply.json["id"]?.stringValue))
                }
                func assignee(_ id: String) async throws -> String? { try await api.get("/api/communication/threads/\(id)").json["assigned_to_contact_id"]?.stringValue }
                #expect(try await assignee(ids[0]) == "sarah")
                #expect(try await assignee(ids[1]) == "tom")
                #expect(try await assignee(ids[2]) == nil)
                #expect(try await api.send(.put, "/api/communication/threads/\(ids[0])", json: ["status": "resolved"]).status == .ok)
                #expect(try await assignee(ids[2]) == "sarah")
            }
        }
    }

    @Test("the ladder fires at 75/90/100 % and +24 h of business time across Christmas and a weekend; a reply cancels the rest")
    func ladder() async throws {
        try await CommsHarness.run { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                try await cc.whatsApp(client, "Hallo", id: "wamid.L1")
                let contactID = try #require(try cc.host.services.contacts.find(tenantID: "lq", .phone("+31612345678"))).id
                func open(_ subject: String) async throws -> String {
                    let reply = try await api.post("/api/communication/threads", [
                        "thread_subject": .string(subject), "thread_type": "customer_support", "channel_type": "whatsapp_business",
                        "contact_id": .string(contactID), "assigned_to_contact_id": "sarah", "opened_at": .number(Double(CommsHarness.ms("2026-12-24 16:30"))),
                    ])
                    #expect(reply.json["response_due_at"]?.doubleValue == Double(CommsHarness.ms("2026-12-28 08:30")))
                    return try #require(reply.json["id"]?.stringValue)
                }
                let replied = try await open("Laadpaal planning")
                let ignored = try await open("Factuur vraag")
                #expect(try cc.pendingSteps(replied) == [
                    "reminder": CommsHarness.ms("2026-12-28 08:15"), "team_lead": CommsHarness.ms("2026-12-28 08:24"),
                    "manager": CommsHarness.ms("2026-12-28 08:30"), "executive": CommsHarness.ms("2026-12-31 08:30"),
                ])
                func thread(_ id: String) async throws -> JSON { try await api.get("/api/communication/threads/\(id)").json }
                func alerts(_ id: String) async throws -> [String] {
                    try await thread(id)["messages"]?.arrayValue?.filter { $0["message_type"] == "system_notification" }.compactMap { $0["message_content"]?.stringValue } ?? []
                }

                await cc.run(until: CommsHarness.at("2026-12-28 08:14"))
                #expect(try await thread(replied)["sla"]?["fired"] == [])
                await cc.run(until: CommsHarness.at("2026-12-28 08:15"))
                #expect(try await thread(replied)["sla"]?["fired"] == ["reminder"])
                #expect(try await alerts(replied).last?.hasSuffix("→ sarah") == true)
                await cc.run(until: CommsHarness.at("2026-12-28 08:24"))
                #expect(try await alerts(replied).last?.hasSuffix("→ cs-lead") == true)
                await cc.run(until: CommsHarness.at("2026-12-28 08:30"))
                let escalated = try await thread(replied)
                #expect(escalated["status"] == "escalated" && escalated["priority"] == "high")
                #expect(escalated["sla"]?["fired"] == ["reminder", "team_lead", "manager"])
                #expect(escalated["response_due_at"]?.doubleValue == Double(CommsHarness.ms("2026-12-28 09:00")))

                let reply = try await api.post("/api/communication/messages", ["thread_id": .string(replied), "message_content": "We komen morgen langs."])
                #expect(reply.status == .created)
                #expect(reply.json["message_type"] == "outgoing")
                #expect(try cc.pendingSteps(replied).isEmpty)
                #expect(try await thread(replied)["status"] == "in_progress")

                await cc.run(until: CommsHarness.at("2026-12-31 08:29"))
                #expect(try await thread(ignored)["sla"]?["fired"] == ["reminder", "team_lead", "manager"])
                await cc.run(until: CommsHarness.at("2026-12-31 08:30"))
                #expect(try await thread(ignored)["sla"]?["fired"] == ["reminder", "team_lead", "manager", "executive"])
                #expect(try await alerts(ignored).last?.hasSuffix("→ ceo") == true)
                #expect(try await thread(replied)["sla"]?["fired"] == ["reminder", "team_lead", "manager"])
            }
        }
    }

    @Test("waiting_customer pauses the SLA clock and cancels the ladder; leaving it resumes with the business time left")
    func pause() async throws {
        try await CommsHarness.run(periods: CommsHarness.allDay) { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                let created = try await api.post("/api/communication/threads", ["thread_subject": "Offerte", "channel_type": "whatsapp_business", "assigned_to_contact_id": "daan"])
                let id = try #require(created.json["id"]?.stringValue)
                #expect(try cc.pendingSteps(id).count == 4)
                let paused = try await api.send(.put, "/api/communication/threads/\(id)", json: ["status": "waiting_customer"]).json
                #expect(paused["response_due_at"] == nil)
                let remaining = try #require(paused["sla"]?["paused_remaining_seconds"]?.doubleValue)
                #expect(remaining > 3500 && remaining <= 3600)
                #expect(try cc.pendingSteps(id).isEmpty)
                let before = Double(Clock.nowMillis())
                let resumed = try await api.send(.put, "/api/communication/threads/\(id)", json: ["status": "in_progress"]).json
                let due = try #require(resumed["response_due_at"]?.doubleValue)
                #expect(due >= before + remaining * 1000 - 1000 && due <= Double(Clock.nowMillis()) + remaining * 1000 + 1000)
                #expect(Set(try cc.pendingSteps(id).keys) == ["reminder", "team_lead", "manager", "executive"])
            }
        }
    }

    @Test("the inbox sorts by priority then due time (or due first), pages by cursor, and filters overdue, mine and tasks")
    func inbox() async throws {
        try await CommsHarness.run { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                let day: Int64 = 86_400_000
                let now = Clock.nowMillis()
                let specs: [(String, String, String, Int64)] = [
                    ("low-old", "low", "whatsapp_business", now - 30 * day), ("urgent-new", "urgent", "whatsapp_business", now),
                    ("normal-old", "normal", "email_outlook", now - 30 * day), ("task", "high", "internal_task", now),
                ]
                for (subject, priority, channel, opened) in specs {
                    #expect(try await api.post("/api/communication/threads", [
                        "thread_subject": .string(subject), "priority": .string(priority), "channel_type": .string(channel),
                        "opened_at": .number(Double(opened)), "assigned_to_contact_id": subject == "task" ? "me-agent" : "sarah",
                        "thread_type": subject == "task" ? "internal_task" : "customer_support",
                    ]).status == .created)
                }
                func subjects(_ query: String) async throws -> (names: [String], next: String?) {
                    let page = try await api.get("/api/communication/threads?\(query)").json
                    return (page["data"]?.arrayValue?.compactMap { $0["thread_subject"]?.stringValue } ?? [], page["next_cursor"]?.stringValue)
                }
                let first = try await subjects("limit=2")
                #expect(first.names == ["urgent-new", "task"])
                let cursor = try #require(first.next?.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
                let second = try await subjects("limit=2&cursor=\(cursor)")
                #expect(second.names == ["normal-old", "low-old"] && second.next == nil)
                #expect(try await subjects("sort=due").names == ["low-old", "normal-old", "urgent-new", "task"])
                #expect(try await subjects("filter=overdue").names == ["normal-old", "low-old"])
                #expect(try await subjects("filter=mine&assignee=me-agent").names == ["task"])
                #expect(try await subjects("filter=tasks").names == ["task"])
                #expect(try await api.get("/api/communication/threads?filter=nonsense").status == .unprocessableContent)
            }
        }
    }

    @Test("channel secrets are sealed and never appear in any API response")
    func channelSecrets() async throws {
        try await CommsHarness.run { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                let secret = "very-secret-client-value"
                let created = try await api.post("/api/communication/channels", [
                    "channel_type": "email_outlook", "channel_name": "Service mailbox", "response_sla_hours": 4,
                    "configuration": ["tenant_id": "t-1", "client_id": "c-1", "client_secret": .string(secret), "sync_folders": ["Inbox"]],
                ])
                #expect(created.status == .created)
                #expect(!created.text.contains(secret))
                #expect(created.json["secrets_set"] == ["client_secret"] && created.json["configuration"]?["client_id"] == "c-1")
                let id = try #require(created.json["id"]?.stringValue)
                let updated = try await api.send(.put, "/api/communication/channels/\(id)", json: ["configuration": ["access_token": .string("token-\(secret)")]])
                #expect(!updated.text.contains(secret))
                #expect(updated.json["secrets_set"] == ["access_token", "client_secret"])
                #expect(!(try await api.get("/api/communication/channels").text.contains(secret)))
                let stored = try #require(try cc.host.services.records.get(.init(tenantID: "lq", pluginID: "chargecars-comms"), collection: "channels", key: id))
                #expect(!stored.contains(secret) && stored.contains("client_secret"))
                #expect(try await api.post("/api/communication/channels", ["channel_type": "fax"]).status == .unprocessableContent)
            }
        }
    }
}

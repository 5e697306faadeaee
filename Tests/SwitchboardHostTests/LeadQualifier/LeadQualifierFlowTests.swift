import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 002 §9 "Funktional": the decision tree through signed WhatsApp webhooks, the scheduler and a fake Graph API.
@Suite("LeadQualifier: opt-in, decision tree, booking and follow-ups", .serialized)
struct LeadQualifierFlowTests {
    @Test("opt-in: a forged signature is refused; a signed one records consent and sends lead_welcome_v1 after 5 minutes")
    func optIn() async throws {
        try await LeadQualifierHarness.run { lq, client in
            #expect(try await lq.optIn(client, secret: "wrong").status == .unauthorized)
            let reply = try await lq.optIn(client)
            #expect(reply.status == .accepted)
            let contactID = try #require(reply.json["contact_id"]?.stringValue)
            let contact = try #require(try lq.host.services.contacts.find(tenantID: "lq", .id(contactID)))
            #expect(contact.attributes["consent_status"] == "granted" && contact.attributes["consent_source"] == "landingpage")
            #expect(contact.attributes["consent_text_version"] == "v3" && contact.attributes["consent_timestamp"] == "2026-11-23T09:00:00Z")
            let audit = try lq.host.services.audit.entries(tenantID: "lq", action: "consent_granted")
            #expect(audit.count == 1 && audit.first?.subject == contactID)

            await lq.settle()
            #expect(lq.whatsAppSends.isEmpty, "nothing before the 5 minutes are up")
            await lq.settle(advancing: .seconds(4 * 60))
            #expect(lq.whatsAppSends.isEmpty)
            await lq.settle(advancing: .seconds(6 * 60))
            #expect(lq.whatsAppSends == ["template:lead_welcome_v1"])
            #expect(try lq.conversation(contactID)?.attributes["lq_state"] == "welcome")
            #expect(lq.crmPosts.contains { $0["type"] == "lead_upsert" })
        }
    }

    @Test("an event delivered again, as after a host died before it heard back, moves the tree once")
    func redeliveredTurn() async throws {
        try await LeadQualifierHarness.run { lq, client in
            _ = try await lq.agreedLead(client)
            let sends = lq.whatsAppSends
            #expect(sends.last?.contains("Schaltest du") == true)
            try lq.host.redeliverLast(EventCatalogue.messageReceived, tenantID: "lq", to: "leadqualifier")
            await lq.settle(advancing: .seconds(LeadQualifierHarness.replyDelaySeconds + 1))
            #expect(try lq.host.services.jobs.list(tenantID: "lq", pluginID: "leadqualifier", status: "done", kind: EventLog.deliverKind)
                .contains { $0.attempts == 2 }, "the plugin got it a second time")
            #expect(lq.whatsAppSends == sends, "and did not answer it again")
            #expect(try lq.conversation(try lq.contactID())?.attributes["lq_state"] == "q1")
        }
    }

    @Test("no welcome after the lead wrote first, nor into a conversation a person has taken over")
    func welcomeOnlyWhenWanted() async throws {
        try await LeadQualifierHarness.run { lq, client in
            // Anna opts in and writes before the welcome is due: the tree answers her, the welcome stays away.
            _ = try await lq.optIn(client)
            try await lq.inbound(client, "Hallo, ich hab mich gerade eingetragen")
            let answered = lq.whatsAppSends.count
            #expect(answered == 1, "she got an answer")
            await lq.settle(advancing: .seconds(6 * 60))
            #expect(!lq.whatsAppSends.contains("template:lead_welcome_v1"))
            #expect(try lq.host.services.records.get(.init(tenantID: "lq", pluginID: "leadqualifier"), collection: "tasks_scheduled",
                                                     key: "welcome:\(try lq.contactID())")?.contains("\"cancelled\"") == true)

            // Ben's conversation is in a person's hands before his welcome is due: no welcome either.
            _ = try await lq.optIn(client, phone: "+16505550002", name: "Ben Berg")
            let ben = try lq.contactID(phone: "+16505550002")
            let tenant = try #require(lq.host.registry.tenant(slug: "lq"))
            let (conversation, _) = try lq.host.services.database.transaction {
                try lq.host.services.conversations.findOrOpen(tenantID: "lq", contactID: ben, channel: "whatsapp", actor: "user:Team", in: $0)
            }
            _ = try lq.host.services.conversations.update(tenantID: tenant.slug, id: conversation.id, owner: "human", actor: "user:Team")
            await lq.settle(advancing: .seconds(6 * 60))
            #expect(!lq.whatsAppSends.contains("template:lead_welcome_v1"))
        }
    }

    @Test("happy path: ja → Ads ja → ca. 250 → qualified, two slots, booked with three reminders; reschedule moves them, cancel cancels them")
    func happyPath() async throws {
        try await LeadQualifierHarness.run { lq, client in
            let contactID = try #require(try await lq.optIn(client).json["contact_id"]?.stringValue)
            await lq.settle(advancing: .seconds(6 * 60))
            try await lq.inbound(client, "Ja passt")
            #expect(lq.whatsAppSends.last?.contains("Schaltest du aktuell Ads?") == true)
            try await lq.inbound(client, "jo klar")
            #expect(lq.whatsAppSends.last?.contains("Wie viele Leads") == true)
            try await lq.inbound(client, "ca. 250")
            let offer = try #require(lq.whatsAppSends.last)
            #expect(offer.contains("1)") && offer.contains("2)") && offer.contains("Uhr"))
            #expect(offer.hasPrefix("Klingt richtig gut, das passt!"), "the confirmation, then the slots")
            let slots = try #require(try lq.conversation(contactID)?.attributes["lq_slots"]?.arrayValue?.compactMap(\.doubleValue))
            #expect(slots.count == 2)

            try await lq.inbound(client, "Die 2 bitte")
            #expect(lq.whatsAppSends.last?.contains("gebucht") == true)
            let conversation = try #require(try lq.conversation(contactID))
            #expect(conversation.attributes["lq_state"] == "booked")
            let eventID = try #require(conversation.attributes["lq_event_id"]?.stringValue)
            let event = try #require(try lq.host.services.calendar.find(tenantID: "lq", id: eventID))
            #expect(event.startsAt == Int64(slots[1]) && event.contactID == contactID)
            let reminders = try lq.jobs(status: "pending").filter { ($0.uniqueKey ?? "").contains("reminder_") }
            #expect(reminders.count == 3)
            let start = Int64(slots[1])
            let expected: Set<Int64> = [start - 22 * 3_600_000, start - 55 * 60_000, start - 5 * 60_000]
            #expect(Set(reminders.map(\.runAt)) == expected)
            #expect(reminders.first { $0.payload["template"] == "appointment_reminder_55m_v1" }?.payload["variables"]?["1"] == "https://meet.example.com/lq")

            // The API shows qualification_answers and tasks_scheduled.
            let lead = try await lq.api(client).get("/api/leadqualifier/leads/\(contactID)")
            #expect(lead.status == .ok)
            #expect(lead.json["qualification_answers"]?["ads_running"] == "yes")
            #expect(lead.json["qualification_answers"]?["monthly_leads_bucket"] == "100-300")
            #expect(lead.json["qualification_answers"]?["qualified"] == "true")
            let tasks = lead.json["tasks_scheduled"]?.arrayValue ?? []
            #expect(tasks.filter { $0["status"] == "pending" }.compactMap { $0["task_type"]?.stringValue }.sorted() == ["reminder_22h", "reminder_55m", "reminder_5m"])
            #expect(tasks.contains { $0["task_type"] == "nudge_30m" && $0["status"] == "cancelled" }, "the reply cancelled the nudge")

            // Reschedule: new slots, the event moves, the reminders follow it.
            try await lq.inbound(client, "Kann ich den Termin verschieben?")
            let newSlots = try #require(try lq.conversation(contactID)?.attributes["lq_slots"]?.arrayValue?.compactMap(\.doubleValue))
            try await lq.inbound(client, "1")
            let moved = try #require(try lq.host.services.calendar.find(tenantID: "lq", id: eventID))
            #expect(moved.startsAt == Int64(newSlots[0]) && moved.sequence == 1)
            let movedReminders = try lq.jobs(status: "pending").filter { ($0.uniqueKey ?? "").contains("reminder_") }
            #expect(movedReminders.count == 3 && movedReminders.allSatisfy { $0.runAt > Int64(newSlots[0]) - 23 * 3_600_000 && $0.runAt < Int64(newSlots[0]) })

            // Cancel: the event is cancelled, so are the reminders.
            try await lq.inbound(client, "Ich muss leider absagen")
            #expect(try lq.host.services.calendar.find(tenantID: "lq", id: eventID)?.status == "cancelled")
            #expect(try lq.jobs(status: "pending").filter { ($0.uniqueKey ?? "").contains("reminder_") }.isEmpty)
            #expect(lq.whatsAppSends.last?.contains("abgesagt") == true)
        }
    }

    @Test("disqualify: no ads ends with a resource link; under 100 leads ends with 'später wieder melden'")
    func disqualify() async throws {
        try await LeadQualifierHarness.run { lq, client in
            _ = try await lq.optIn(client)
            _ = try await lq.optIn(client, phone: "+16505559999", name: "Ben")
            await lq.settle(advancing: .seconds(6 * 60))
            try await lq.inbound(client, "ja")
            try await lq.inbound(client, "nein, noch nicht")
            #expect(lq.whatsAppSends.last?.contains("https://example.com/leitfaden") == true)
            let anna = try lq.contactID()
            #expect(try lq.conversation(anna)?.attributes["lq_state"] == "disqualified")

            try await lq.inbound(client, "ok", from: "16505559999")
            try await lq.inbound(client, "ja", from: "16505559999")
            try await lq.inbound(client, "so 80 im Monat", from: "16505559999")
            #expect(lq.whatsAppSends.last?.contains("später wieder") == true)
            let ben = try lq.contactID(phone: "+16505559999")
            let answers = try await lq.api(client).get("/api/leadqualifier/leads/\(ben)").json["qualification_answers"]
            #expect(answers?["monthly_leads_bucket"] == "<100" && answers?["qualified"] == "false" && answers?["reason"] == "low_volume")
            #expect(try lq.jobs(status: "pending").isEmpty, "no follow-ups after a disqualification")
        }
    }

    @Test("follow-ups: lead_nudge_v1 after 30 minutes of silence, then the 24 h follow-up; a reply cancels what is pending")
    func followUps() async throws {
        try await LeadQualifierHarness.run { lq, client in
            _ = try await lq.optIn(client)
            await lq.settle(advancing: .seconds(6 * 60))
            try await lq.inbound(client, "ja")
            try await lq.inbound(client, "jo klar")
            await lq.settle(advancing: .seconds(40 * 60))
            #expect(lq.whatsAppSends.last == "template:lead_nudge_v1")
            await lq.settle(advancing: .seconds(25 * 3600))
            #expect(lq.whatsAppSends.last == "template:lead_followup_24h_v1")
            try await lq.inbound(client, "über 300")
            #expect(try lq.jobs(status: "cancelled").contains { $0.uniqueKey?.contains("followup_48h") == true })
            let answers = try await lq.api(client).get("/api/leadqualifier/leads/\(try lq.contactID())").json["qualification_answers"]
            #expect(answers?["monthly_leads_bucket"] == "300+")
        }
    }

    @Test("an ambiguous answer gets one clarifying question; a duplicate webhook gets no second reply")
    func clarifyAndDuplicate() async throws {
        try await LeadQualifierHarness.run { lq, client in
            _ = try await lq.optIn(client)
            await lq.settle(advancing: .seconds(6 * 60))
            #expect(try await lq.inbound(client, "ja", id: "wamid.DUP") == .ok)
            let count = lq.whatsAppSends.count
            #expect(try await lq.inbound(client, "ja", id: "wamid.DUP") == .ok, "Meta redelivers until it gets a 2xx")
            #expect(lq.whatsAppSends.count == count, "the duplicate changed nothing")
            let conversation = try #require(try lq.conversation(try lq.contactID()))
            let stored = try lq.host.services.conversations.messages(tenantID: "lq", conversationID: conversation.id, page: PageRequest(limit: 20)).data
            #expect(stored.filter { $0.direction == "inbound" }.count == 1, "stored once")
            try await lq.inbound(client, "hmm, kommt drauf an")
            #expect(lq.whatsAppSends.last?.contains("Nur damit ich dich richtig verstehe") == true)
            try await lq.inbound(client, "jo")
            #expect(lq.whatsAppSends.last?.contains("Wie viele Leads") == true)
        }
    }
}

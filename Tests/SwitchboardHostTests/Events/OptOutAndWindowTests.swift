import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// What the host does with a contact's own words and timestamps: a STOP stops the bots' waiting messages in the
/// commit that stores it, and the 24-hour window opens when the provider says the message was sent.
@Suite("Opt-out keywords and the provider's clock")
struct OptOutAndWindowTests {
    /// The status and error code of a stored message.
    static func status(_ host: SwitchboardHost, _ id: String) throws -> (String?, String?) {
        let row = try host.services.database.read { try $0.query("SELECT status, error_code FROM messages WHERE id = $1", [.text(id)]).first }
        return (row?.string("status"), row?.string("error_code"))
    }

    @Test("STOP blocks the bots' and the marketing messages still waiting, in the commit that stores it; a person's reply and the opt-out confirmation still go",
          arguments: StorageDriver.allCases)
    func stopStopsWaitingSends(driver: StorageDriver) async throws {
        let plugins = try EventPipelineTests.plugins([("recorder", #"["message.blocked", "contact.updated"]"#)])
        let yaml = EventPipelineTests.manifest("stop", plugins: ["recorder"])
        try await driver.withHost(manifests: ["stop": yaml], configure: { $0.pluginsDirectory = plugins }) { host in
            let tenant = try #require(host.registry.tenant(slug: "stop"))
            let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
            let outbound = Outbound(services: host.services)
            let later = Clock.nowMillis() + 3_600_000
            try await host.buildApplication().test(.router) { client in
                #expect(try await EventPipelineTests.sandbox(client, tenant: "stop", from: "+31600000010", text: "Hoi") == .accepted)
                let contact = try #require(try host.services.contacts.find(tenantID: "stop", .phone("+31600000010")))
                func send(_ text: String, as actor: Actor, category: String = "service", at: Int64? = nil) throws -> Outbound.Result {
                    try outbound.send(
                        .init(contactID: contact.id, channel: "sandbox", type: "session_text", text: text, category: category, sendAt: at ?? later),
                        tenant: tenant, actor: actor)
                }
                let question = try send("Noch eine Frage an dich?", as: .plugin("recorder"))
                let rule = try send("Automatisch", as: "automation:welcome")
                let campaign = try send("Angebot!", as: "user:Ana", category: "marketing")
                let personal = try send("Ich rufe dich morgen an.", as: "user:Ana")
                #expect([question, rule, campaign, personal].allSatisfy { $0.status == "scheduled" })

                #expect(try await EventPipelineTests.sandbox(client, tenant: "stop", from: "+31600000010", text: "STOP!") == .accepted)
                for blocked in [question, rule, campaign] {
                    #expect(try Self.status(host, blocked.messageID) == ("blocked", "consent_revoked"))
                    let job = try host.services.jobs.list(tenantID: "stop", pluginID: nil, status: nil, kind: Outbound.deliverKind)
                        .first { $0.payload["message_id"]?.stringValue == blocked.messageID }
                    #expect(job?.status == "cancelled")
                }
                #expect(try Self.status(host, personal.messageID).0 == "scheduled", "a person's reply stays")
                let revoked = try #require(try host.services.contacts.find(tenantID: "stop", .id(contact.id)))
                #expect(revoked.attributes["consent_status"] == "revoked" && revoked.attributes["consent_revoked_source"] == "keyword:sandbox")
                let audits = try host.services.audit.entries(tenantID: "stop", action: "policy_blocked_send")
                #expect(Set(audits.compactMap(\.subject)) == Set([question, rule, campaign].map(\.messageID)))
                #expect(audits.allSatisfy { $0.details["at"] == "opt_out" && $0.details["reason"] == "consent_revoked" })

                // From now on a bot may only confirm; a person may still answer.
                #expect(try send("Noch da?", as: .plugin("reminders"), at: Clock.nowMillis()).status == "blocked")
                let confirmation = try outbound.send(
                    .init(contactID: contact.id, channel: "sandbox", type: "session_text", text: "Du bekommst keine Nachrichten mehr.", optOutConfirmation: true),
                    tenant: tenant, actor: .plugin("recorder"))
                #expect(confirmation.status == "sent")
                #expect(try send("Schade, alles Gute!", as: "user:Ana", at: Clock.nowMillis()).status == "sent")
                await PipelineTests.drain(scheduler)
            }
            // The recorder heard of the consent change, then of every block, in order.
            let seen = try EventPipelineTests.seen(host, "stop", "recorder")
            #expect(seen.first?["type"] == "contact.updated" && seen.first?["data"]?["changes"]?["consent"] == "revoked")
            #expect(seen.first?["actor"] == "webhook:sandbox")
            let stages = seen.filter { $0["type"] == "message.blocked" }.compactMap { $0["data"]?["stage"]?.stringValue }
            #expect(stages == ["opt_out", "opt_out", "opt_out", "send"])
        }
    }

    @Test("a bot message that slipped past an opt-out is refused when its delivery is due, and audited", arguments: StorageDriver.allCases)
    func refusedAtDelivery(driver: StorageDriver) async throws {
        try await driver.withHost(manifests: ["late": EventPipelineTests.manifest("late", plugins: [])]) { host in
            let tenant = try #require(host.registry.tenant(slug: "late"))
            let contact = try host.services.contacts.create(tenantID: "late", name: "Li", phone: "+31600000011", email: nil)
            let queued = try Outbound(services: host.services).send(
                .init(contactID: contact.id, channel: "sandbox", type: "session_text", text: "Erinnerung", sendAt: Clock.nowMillis() + 60_000),
                tenant: tenant, actor: .plugin("reminders"))
            // Another host revoked the consent without seeing this message (the row is changed directly, as a racing
            // transaction would leave it).
            try host.services.database.transaction {
                try $0.execute(
                    "UPDATE contacts SET attributes = $2 WHERE id = $1", [.text(contact.id), .text(#"{"consent_status":"revoked"}"#)])
            }
            let outcome = try await OutboundDelivery(services: host.services).deliver(messageID: queued.messageID, tenant: tenant, attempt: 1, maxAttempts: 6)
            #expect(outcome == .blocked(reason: "consent_revoked"))
            #expect(try Self.status(host, queued.messageID) == ("blocked", "consent_revoked"))
            let audit = try #require(try host.services.audit.entries(tenantID: "late", action: "policy_blocked_send").first)
            #expect(audit.subject == queued.messageID && audit.details["at"] == "delivery")
            let blocked = try #require(try host.recordedEvents("late", type: EventCatalogue.messageBlocked).first)
            #expect(blocked.event.data["stage"] == "delivery" && blocked.event.data["sent_by"] == "plugin:reminders")
        }
    }

    @Test("the 24-hour window opens when the provider says the lead wrote: a webhook a day late opens none", arguments: StorageDriver.allCases)
    func windowFromProviderTimestamp(driver: StorageDriver) async throws {
        try await driver.withHost(manifests: ["win": EventPipelineTests.manifest("win", plugins: [])]) { host in
            let tenant = try #require(host.registry.tenant(slug: "win"))
            let now = Clock.nowMillis()
            let hourAgo = now - 3_600_000, dayAgo = now - 25 * 3_600_000
            try await host.buildApplication().test(.router) { client in
                for (sender, sentAt) in [("4915100000021", hourAgo), ("4915100000022", dayAgo)] {
                    let status = try await EventPipelineTests.post(client, whatsApp: EventPipelineTests.whatsApp(from: sender, [("wamid.\(sender)", "Hallo", sentAt)]))
                    #expect(status == .ok)
                }
            }
            func conversation(_ phone: String) throws -> Conversation {
                let contact = try #require(try host.services.contacts.find(tenantID: "win", .phone(phone)))
                return try #require(try host.services.conversations.list(tenantID: "win", filter: ["contact_id": contact.id], page: .init()).data.first)
            }
            let fresh = try conversation("+4915100000021"), late = try conversation("+4915100000022")
            // WhatsApp's timestamps are whole seconds.
            #expect(fresh.serviceWindowExpiresAt == hourAgo / 1000 * 1000 + 24 * 3_600_000)
            #expect(fresh.lastInboundAt == hourAgo / 1000 * 1000)
            #expect((late.serviceWindowExpiresAt ?? .max) < now, "the late message's window had closed before it arrived")

            let outbound = Outbound(services: host.services)
            func reply(to conversation: Conversation) throws -> Outbound.Result {
                try outbound.send(.init(contactID: conversation.contactID, channel: "whatsapp", type: "session_text", text: "Danke!"), tenant: tenant, actor: "user:Ana")
            }
            #expect(try reply(to: fresh).status == "queued")
            let refused = try reply(to: late)
            #expect(refused.status == "blocked" && refused.reason == "outside_service_window")
            let received = try host.recordedEvents("win", type: EventCatalogue.messageReceived)
            #expect(Set(received.map(\.event.occurredAt)) == [hourAgo / 1000 * 1000, dayAgo / 1000 * 1000], "each event carries the provider's time")
        }
    }
}

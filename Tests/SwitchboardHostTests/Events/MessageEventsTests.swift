import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// `message.sent` from every origin, with who sent it and the template; `message.status` from the delivery job and
/// from the provider's receipts, failures with the provider's code.
@Suite("Message events from every origin")
struct MessageEventsTests {
    /// A signed Cloud API notification of one delivery status.
    static func receipt(_ providerID: String, _ status: String, at: Int64, error: String = "") -> String {
        """
        {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",\
        "metadata":{"phone_number_id":"\(EventPipelineTests.phoneNumberID)"},"statuses":[{"id":"\(providerID)","status":"\(status)",\
        "timestamp":"\(at / 1000)","recipient_id":"4915100000031"\(error)}]}}]}]}
        """
    }

    @Test("a console reply, an API send with a template, another plugin's and a rule's messages each raise message.sent with their sender; receipts and the delivery job raise message.status",
          arguments: StorageDriver.allCases)
    func everyOrigin(driver: StorageDriver) async throws {
        let sends = ChannelTests.Counter()
        try await FakeProvider.run(routes: { router in
            router.post("/v21.0/\(EventPipelineTests.phoneNumberID)/messages") { _, _ in
                #"{"messaging_product":"whatsapp","messages":[{"id":"wamid.OUT\#(sends.next())"}]}"#
            }
        }) { graph in
            let plugins = try EventPipelineTests.plugins([("recorder", #"["message.*"]"#)])
            let rule = """
                automation_rules:
                  - name: thanks
                    event: message_created
                    conditions:
                      - {field: message_content, operator: contains, value: danke}
                    actions:
                      - send_message: {text: "Gern geschehen!"}
                """
            let yaml = EventPipelineTests.manifest("origin", plugins: ["recorder"], extra: rule, graph: graph.baseURL)
            try await driver.withHost(manifests: ["origin": yaml], configure: { $0.pluginsDirectory = plugins }) { host in
                let tenant = try #require(host.registry.tenant(slug: "origin"))
                let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
                let token = try host.token("origin", role: "admin")
                _ = try host.services.credentials.createUser(
                    tenantID: "origin", email: "ana@origin.test", name: "Ana", role: "agent", password: "correct horse battery", actor: "test")
                try await host.buildApplication().test(.router) { client in
                    let lead = "4915100000031"
                    let hello = try await EventPipelineTests.post(client, whatsApp: EventPipelineTests.whatsApp(from: lead, [("wamid.IN1", "Hallo", Clock.nowMillis())]))
                    #expect(hello == .ok)
                    let contact = try #require(try host.services.contacts.find(tenantID: "origin", .phone("+" + lead)))
                    let conversationID = try #require(try host.services.conversations.list(tenantID: "origin", filter: [:], page: .init()).data.first?.id)

                    // A person from the console.
                    let browser = ConsoleBrowser(client, domain: "origin.localhost")
                    _ = try await browser.signIn("ana@origin.test", "correct horse battery")
                    let page = try await browser.get("/console/conversations/\(conversationID)")
                    let replied = try await browser.post("/console/conversations/\(conversationID)/reply", [("text", "Hallo zurück"), ("csrf", page.hidden("csrf") ?? "")])
                    #expect(replied.status == .seeOther)
                    // An API client with a template.
                    let api = APIClient(client: client, host: "origin.localhost", token: token)
                    let template = try await api.post("/api/v1/templates", [
                        "name": "welcome_v1", "channel": "whatsapp", "language": "de", "category": "utility", "body": "Willkommen!",
                        "approval_status": "approved",
                    ])
                    #expect(template.status == .created)
                    let sent = try await api.post("/api/v1/messages/send", [
                        "contact_id": .string(contact.id), "channel": "whatsapp", "type": "template", "template_name": "welcome_v1",
                    ])
                    #expect(sent.status == .accepted)
                    // Another plugin, through its host API.
                    _ = try Outbound(services: host.services).send(
                        .init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: "Von einem Bot"), tenant: tenant,
                        actor: .plugin("helper"))
                    // A rule answering the lead.
                    let thanks = try await EventPipelineTests.post(client, whatsApp: EventPipelineTests.whatsApp(from: lead, [("wamid.IN2", "Danke", Clock.nowMillis())]))
                    #expect(thanks == .ok)
                    await PipelineTests.drain(scheduler)

                    // Receipts: the console reply is read, the API's template fails with Meta's code.
                    let outbound = try host.services.database.read {
                        try $0.query(
                            "SELECT id, content, provider_message_id FROM messages WHERE tenant_id = 'origin' AND direction = 'outbound'", [])
                    }
                    func providerID(_ content: String) throws -> String {
                        try #require(outbound.first { $0.string("content") == content }?.string("provider_message_id"))
                    }
                    let now = Clock.nowMillis()
                    for (id, status, error) in [
                        (try providerID("Hallo zurück"), "delivered", ""), (try providerID("Hallo zurück"), "read", ""),
                        (try providerID("Willkommen!"), "failed", #","errors":[{"code":131047,"title":"Re-engagement message"}]"#),
                    ] {
                        #expect(try await EventPipelineTests.post(client, whatsApp: Self.receipt(id, status, at: now, error: error)) == .ok)
                    }
                    await PipelineTests.drain(scheduler)
                }
                let seen = try EventPipelineTests.seen(host, "origin", "recorder")
                let sent = seen.filter { $0["type"] == "message.sent" }
                let senders = sent.compactMap { event in event["data"]?["message"]?["content"]?.stringValue.map { ($0, event["data"]?["sent_by"]?.stringValue ?? "") } }
                #expect(Dictionary(uniqueKeysWithValues: senders) == [
                    "Hallo zurück": "user:ana@origin.test", "Willkommen!": "token:test-admin", "Von einem Bot": "plugin:helper",
                    "Gern geschehen!": "automation:thanks",
                ])
                #expect(sent.first { $0["data"]?["template"] == "welcome_v1" } != nil, "the template is named")
                #expect(sent.filter { $0["data"]?["human"] == true }.count == 2)

                let statuses = seen.filter { $0["type"] == "message.status" }
                #expect(statuses.filter { $0["data"]?["origin"] == "delivery" && $0["data"]?["status"] == "sent" }.count == 4, "each send went")
                let receipts = statuses.filter { $0["data"]?["origin"] == "receipt" }.compactMap { $0["data"]?["status"]?.stringValue }
                #expect(receipts == ["delivered", "read", "failed"])
                let failed = try #require(statuses.first { $0["data"]?["status"] == "failed" })
                #expect(failed["data"]?["error_code"] == "131047" && failed["actor"] == "webhook:whatsapp")
                // One contact's events came to the recorder in their order.
                let sequences = seen.compactMap { $0["sequence"]?.doubleValue }
                #expect(sequences == sequences.sorted())
            }
        }
    }
}

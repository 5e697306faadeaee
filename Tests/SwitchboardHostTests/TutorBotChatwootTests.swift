import Foundation
import Hummingbird
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 000's setup: Chatwoot stays the agents' inbox and TutorBot answers as its agent bot. The flows
/// themselves run through Chatwoot too: every flow test of `TutorBotFlowTests` takes the channel as argument.
@Suite("TutorBot through the Chatwoot agent bot")
struct TutorBotChatwootTests {
    /// The fake Chatwoot API: replies into conversations, and the label and contact sync.
    static func routes(_ router: Router<BasicRequestContext>) {
        router.post("/api/v1/accounts/:account/conversations/:conversation/messages") { _, _ in try fakeJSON(["id": .number(Double(Int.random(in: 1...1_000_000)))]) }
        router.post("/api/v1/accounts/:account/contacts/:id/labels") { _, _ in try fakeJSON(["payload": []]) }
        router.put("/api/v1/accounts/:account/contacts/:id") { _, _ in try fakeJSON(["payload": ["id": 55]]) }
    }

    /// `yaml` with a Chatwoot channel (account 7, webhook token `hook-token`) whose API is `chatwoot`.
    static func manifest(_ yaml: String, chatwoot: FakeProvider) -> String {
        let changed = yaml.replacingOccurrences(of: "channels:\n  sandbox: {}\n", with: """
            channels:
              sandbox: {}
              chatwoot:
                base_url: \(chatwoot.baseURL)/
                account_id: 7
                api_token: env:\(uniqueSecret("cw-api-token"))
                webhook_token: env:\(uniqueSecret("hook-token"))

            """)
        #expect(changed.contains("chatwoot:"), "the manifest's channels section was not found")
        return changed
    }

    /// Each phone number writes in its own Chatwoot conversation, with its own Chatwoot contact id.
    static func conversationID(_ phone: String) -> Int { Int(phone.suffix(7)) ?? 1 }

    /// A Chatwoot agent-bot `message_created` event from the contact with this phone number.
    static func messageCreated(from phone: String, text: String) -> JSON {
        let sender: JSON = ["id": .number(Double(conversationID(phone))), "name": "", "type": "contact", "phone_number": .string(phone)]
        return [
            "event": "message_created", "id": .number(Double(Int.random(in: 1...Int(Int32.max)))), "content": .string(text),
            "message_type": "incoming", "content_type": "text", "private": false, "content_attributes": [:],
            "sender": sender, "inbox": ["id": 3, "name": "TutorBot"], "account": ["id": 7, "name": "TutorBot"],
            "conversation": [
                "id": .number(Double(conversationID(phone))), "inbox_id": 3, "status": "pending", "channel": "Channel::Api",
                "meta": ["sender": sender],
            ],
        ]
    }

    @Test("a Chatwoot message_created reaches TutorBot, whose reply is posted back into the Chatwoot conversation")
    func replyGoesBackToChatwoot() async throws {
        try await FakeProvider.run(routes: Self.routes) { chatwoot in
            let base = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/tutorbot.yaml"), encoding: .utf8)
            let host = try TestEnvironment.host(manifests: ["tutorbot": Self.manifest(base, chatwoot: chatwoot)])
            let scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test")
            try await host.buildApplication().test(.router) { client in
                let api = APIClient(client: client, host: "tutorbot.localhost")
                let inbound = try await api.send(
                    .post, "/webhooks/chatwoot?token=hook-token",
                    json: ChatwootChannelTests.messageCreated(id: 7001, conversation: 42, content: "Hallo, ik wil graag bijles"))
                #expect(inbound.status.code < 300)
            }
            // Dispatch to TutorBot, then deliver its reply through the Chatwoot API.
            await PipelineTests.drain(scheduler)
            await PipelineTests.drain(scheduler)
            let posted = chatwoot.requests("POST", "/api/v1/accounts/7/conversations/42/messages")
            #expect(posted.count == 1)
            let reply = try #require(posted.first)
            #expect(reply.headers["api_access_token"] == "cw-api-token")
            #expect(reply.json["message_type"] == "outgoing")
            #expect(reply.json["content"]?.stringValue?.contains("Hoe heet je?") == true, "TutorBot greets in Dutch and asks the name: \(reply.json)")
            let contact = try #require(try host.services.contacts.find(tenantID: "tutorbot", .phone("+31612345678")))
            #expect(contact.attributes["language"] == "nl" && contact.attributes["name_asked_at"] != nil)
        }
    }
}

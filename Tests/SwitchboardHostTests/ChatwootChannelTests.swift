import Foundation
import Hummingbird
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Payloads follow the field set of chatwoot/docs `docs/product/others/webhook-events.md`, shortened.
@Suite("Chatwoot agent bot: webhook, replies and contact sync")
struct ChatwootChannelTests {
    struct Setup {
        let host: SwitchboardHost
        let webhookToken: String
    }

    /// A tenant whose Chatwoot account 7 is at `base` (a fake provider, or nowhere).
    static func setup(base: String = "http://127.0.0.1:9", slug: String = "tutor", domain: String = "tutor.localhost") throws -> Setup {
        let token = "hook-\(UUID().uuidString)"
        let host = try TestEnvironment.host(manifests: [slug: manifest(slug: slug, domain: domain, channels: """
              chatwoot:
                base_url: \(base)
                account_id: 7
                api_token: env:\(uniqueSecret("cw-api-token"))
                webhook_token: env:\(uniqueSecret(token))
            """)])
        return Setup(host: host, webhookToken: token)
    }

    static func messageCreated(id: Int, conversation: Int, content: String, type: String = "incoming", isPrivate: Bool = false) -> JSON {
        let sender: JSON = [
            "id": 55, "name": "Sam Student", "avatar": "", "type": "contact", "phone_number": "+31612345678", "email": "Sam@Example.com",
        ]
        return [
            "event": "message_created", "id": .number(Double(id)), "content": .string(content), "created_at": "2026-11-23T10:00:00.000Z",
            "message_type": .string(type), "content_type": "text", "private": .bool(isPrivate), "content_attributes": [:],
            "sender": sender, "inbox": ["id": 3, "name": "TutorBot"], "account": ["id": 7, "name": "TutorBot"],
            "conversation": [
                "id": .number(Double(conversation)), "inbox_id": 3, "status": "pending", "channel": "Channel::Api",
                "contact_inbox": ["contact_id": 55, "inbox_id": 3], "meta": ["sender": sender],
            ],
        ]
    }

    @Test("an incoming message lands in the conversation of its Chatwoot conversation, once per message id")
    func incomingMessage() async throws {
        let setup = try Self.setup()
        let agent = try setup.host.token("tutor", role: "agent")
        try await setup.host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "tutor.localhost", token: agent)
            let path = "/webhooks/chatwoot?token=\(setup.webhookToken)"
            let first = try await api.send(.post, path, json: Self.messageCreated(id: 1001, conversation: 42, content: "Ik wil een proefles"))
            #expect(first.status == .ok)
            #expect(first.json["duplicate"] == false)
            let conversationID = try #require(first.json["conversation_id"]?.stringValue)
            let again = try await api.send(.post, path, json: Self.messageCreated(id: 1001, conversation: 42, content: "Ik wil een proefles"))
            #expect(again.json["duplicate"] == true)

            let messages = try await api.get("/api/v1/conversations/\(conversationID)/messages").json["data"]?.arrayValue ?? []
            #expect(messages.count == 1)
            #expect(messages.first?["content"] == "Ik wil een proefles")
            #expect(messages.first?["channel"] == "chatwoot")
            #expect(messages.first?["provider_message_id"] == "1001")
            let conversation = try await api.get("/api/v1/conversations/\(conversationID)").json
            #expect(conversation["thread_key"] == "42")
            let contact = try await api.get("/api/v1/contacts/\(first.json["contact_id"]?.stringValue ?? "")").json
            #expect(contact["phone"] == "+31612345678")
            #expect(contact["email"] == "sam@example.com")
            #expect(contact["attributes"]?["chatwoot_contact_id"] == "55")
        }
    }

    @Test("outgoing messages and private notes are ignored, so the bot never answers itself")
    func loopGuard() async throws {
        let setup = try Self.setup()
        try await setup.host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "tutor.localhost")
            let path = "/webhooks/chatwoot?token=\(setup.webhookToken)"
            let outgoing = try await api.send(.post, path, json: Self.messageCreated(id: 2001, conversation: 42, content: "bot reply", type: "outgoing"))
            let note = try await api.send(.post, path, json: Self.messageCreated(id: 2002, conversation: 42, content: "agent note", isPrivate: true))
            #expect(outgoing.status == .ok && note.status == .ok)
            #expect(outgoing.json["status"] == "ignored" && note.json["status"] == "ignored")
        }
        let stored = try setup.host.services.database.read { try $0.query("SELECT id FROM messages WHERE tenant_id = 'tutor'") }
        #expect(stored.isEmpty)
    }

    @Test("a wrong or missing token is refused with 401 and audited")
    func wrongToken() async throws {
        let setup = try Self.setup()
        try await setup.host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "tutor.localhost")
            let payload = Self.messageCreated(id: 3001, conversation: 42, content: "hi")
            let guessed = try await api.send(.post, "/webhooks/chatwoot?token=guess", json: payload)
            let missing = try await api.send(.post, "/webhooks/chatwoot", json: payload)
            #expect(guessed.status == .unauthorized && missing.status == .unauthorized)
            #expect(guessed.headers[.contentType] == "application/problem+json")
        }
        let audited = try setup.host.services.audit.entries(tenantID: "tutor", action: "webhook_signature_invalid")
        #expect(audited.count == 2)
        #expect(audited.first?.subject == "chatwoot")
        let stored = try setup.host.services.database.read { try $0.query("SELECT id FROM messages WHERE tenant_id = 'tutor'") }
        #expect(stored.isEmpty)
    }

    @Test("conversation_created opens the contact and conversation; its first message joins them")
    func conversationCreated() async throws {
        let setup = try Self.setup()
        try await setup.host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "tutor.localhost")
            let path = "/webhooks/chatwoot?token=\(setup.webhookToken)"
            let opened = try await api.send(.post, path, json: [
                "event": "conversation_created", "id": 77, "inbox_id": 3, "status": "pending", "account_id": 7,
                "meta": ["sender": ["id": 56, "name": "Widget Visitor", "type": "contact"]],
            ])
            #expect(opened.status == .ok)
            #expect(opened.json["message_id"] == nil)
            let conversationID = try #require(opened.json["conversation_id"]?.stringValue)
            var message = Self.messageCreated(id: 4001, conversation: 77, content: "hallo")
            message = message.merging(["sender": ["id": 56, "name": "Widget Visitor", "type": "contact"]])
            let created = try await api.send(.post, path, json: message)
            #expect(created.json["conversation_id"] == .string(conversationID))
            #expect(created.json["contact_id"] == opened.json["contact_id"])
        }
    }

    @Test("on the shared webhook URL the payload's account id picks the tenant")
    func sharedURL() async throws {
        let token = "shared-\(UUID().uuidString)"
        let tokenVariable = uniqueSecret(token)
        func channels(_ account: Int) -> String {
            """
              chatwoot:
                base_url: http://127.0.0.1:9
                account_id: \(account)
                api_token: env:\(uniqueSecret("x"))
                webhook_token: env:\(tokenVariable)
            """
        }
        let host = try TestEnvironment.host(manifests: [
            "one": manifest(slug: "one", domain: "one.localhost", channels: channels(6)),
            "two": manifest(slug: "two", domain: "two.localhost", channels: channels(7)),
        ])
        try await host.buildApplication().test(.router) { client in
            let platform = APIClient(client: client, host: "hooks.platform.example")
            let reply = try await platform.send(.post, "/webhooks/chatwoot?token=\(token)", json: Self.messageCreated(id: 5001, conversation: 9, content: "hi"))
            #expect(reply.status == .ok)
        }
        let owners = try host.services.database.read { try $0.query("SELECT tenant_id FROM messages") }.compactMap { $0.string("tenant_id") }
        #expect(owners == ["two"])
    }

    @Test("a reply goes back into the Chatwoot conversation, and contact changes are written back")
    func replyAndSync() async throws {
        try await FakeProvider.run(routes: { router in
            router.post("/api/v1/accounts/:account/conversations/:conversation/messages") { request, context in
                var request = request
                let body = try JSON.parse(bytes: Array(try await request.collectBody(upTo: 1 << 16).readableBytesView))
                return try fakeJSON(["id": 901, "content": body["content"] ?? .null, "message_type": 1, "private": false])
            }
            router.post("/api/v1/accounts/:account/contacts/:id/labels") { _, _ in try fakeJSON(["payload": ["new_client"]]) }
            router.put("/api/v1/accounts/:account/contacts/:id") { _, _ in try fakeJSON(["payload": ["id": 55]]) }
        }) { chatwoot in
            let setup = try Self.setup(base: chatwoot.baseURL + "/")
            let tenant = try #require(setup.host.registry.tenant(slug: "tutor"))
            let agent = try setup.host.token("tutor", role: "agent")
            try await setup.host.buildApplication().test(.router) { client in
                let api = APIClient(client: client, host: "tutor.localhost", token: agent)
                let inbound = try await api.send(
                    .post, "/webhooks/chatwoot?token=\(setup.webhookToken)", json: Self.messageCreated(id: 6001, conversation: 42, content: "Hoi"))
                let contactID = try #require(inbound.json["contact_id"]?.stringValue)

                let sent = try await api.post("/api/v1/messages/send", ["contact_id": .string(contactID), "channel": "chatwoot", "type": "session_text", "text": "Welkom!"])
                #expect(sent.status == .accepted)
                let messageID = try #require(sent.json["message_id"]?.stringValue)
                let services = setup.host.services
                let outcome = try await OutboundDelivery(services: services).deliver(messageID: messageID, tenant: tenant, attempt: 1, maxAttempts: 3)
                #expect(outcome == .sent(providerID: "901"))
                let posted = try #require(chatwoot.requests("POST", "/api/v1/accounts/7/conversations/42/messages").first)
                #expect(posted.headers["api_access_token"] == "cw-api-token")
                #expect(posted.json == ["content": "Welkom!", "message_type": "outgoing"])

                _ = try await api.patch("/api/v1/contacts/\(contactID)/attributes", ["is_student": "true", "first_name": "Sam"])
                _ = try await api.post("/api/v1/contacts/\(contactID)/labels", ["labels": ["new_client"]])
                let pending = try setup.host.services.jobs.list(tenantID: "tutor", pluginID: nil, status: "pending", kind: ChatwootSync.jobKind)
                #expect(pending.count == 1)
                let payload = try #require(pending.first?.payload)
                try await ChatwootSync().run(payload: payload, tenant: tenant, services: services)
            }
            let labels = try #require(chatwoot.requests("POST", "/api/v1/accounts/7/contacts/55/labels").first)
            #expect(labels.json == ["labels": ["new_client"]])
            let update = try #require(chatwoot.requests("PUT", "/api/v1/accounts/7/contacts/55").first)
            #expect(update.json == ["custom_attributes": ["is_student": "true", "first_name": "Sam"]])
            #expect(update.headers["api_access_token"] == "cw-api-token")
        }
    }
}

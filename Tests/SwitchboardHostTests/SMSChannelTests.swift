import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Generic SMS: signed webhook and gateway sender")
struct SMSChannelTests {
    static func setup(apiURL: String? = nil, twilio: Bool = false) throws -> (host: SwitchboardHost, secret: String) {
        let secret = "sms-\(UUID().uuidString)"
        var channels = """
              sms:
                secret: env:\(uniqueSecret(secret))
                from: "+3197010000000"
            """
        if let apiURL { channels += "\n    api_url: \(apiURL)\n    api_token: env:\(uniqueSecret("gateway-token"))" }
        if twilio { channels += "\n  twilio:\n    account_sid: AC123\n    auth_token: env:\(uniqueSecret("tw"))\n    from: \"+3197010000001\"" }
        return (try TestEnvironment.host(manifests: ["fleet": manifest(slug: "fleet", domain: "fleet.localhost", channels: channels)]), secret)
    }

    static func signed(_ body: JSON, secret: String) throws -> (ByteBuffer, String) {
        let bytes = try body.serializedBytes()
        return (ByteBuffer(bytes: bytes), "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: bytes)))
    }

    @Test("a signed message lands once per id; a forged or missing signature is refused with 401 and audited")
    func webhook() async throws {
        let (host, secret) = try Self.setup()
        let agent = try host.token("fleet", role: "agent")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "fleet.localhost", token: agent)
            func post(_ body: JSON, signature: String?) async throws -> APIClient.Reply {
                var headers: HTTPFields = [.host: "fleet.localhost", .contentType: "application/json"]
                if let signature { headers[.xSignature] = signature }
                return try await client.execute(uri: "/webhooks/sms", method: .post, headers: headers, body: ByteBuffer(bytes: try body.serializedBytes())) {
                    APIClient.Reply(status: $0.status, headers: $0.headers, json: (try? JSON.parse(String(buffer: $0.body))) ?? .null, text: String(buffer: $0.body))
                }
            }
            let payload: JSON = ["from": "+31 6 1234 5678", "to": "+3197010000000", "text": "Laadpas kwijt", "id": "gw-msg-1"]
            let (_, signature) = try Self.signed(payload, secret: secret)
            let first = try await post(payload, signature: signature)
            #expect(first.status == .accepted)
            let conversationID = try #require(first.json["conversation_id"]?.stringValue)
            #expect(try await post(payload, signature: signature).json["duplicate"] == true)
            #expect(try await post(payload, signature: "sha256=" + String(repeating: "0", count: 64)).status == .unauthorized)
            #expect(try await post(payload, signature: nil).status == .unauthorized)

            let messages = try await api.get("/api/v1/conversations/\(conversationID)/messages").json["data"]?.arrayValue ?? []
            #expect(messages.map { $0["content"] } == ["Laadpas kwijt"])
            #expect(messages.first?["channel"] == "sms")
            #expect(try await api.get("/api/v1/contacts/\(first.json["contact_id"]?.stringValue ?? "")").json["phone"] == "+31612345678")
        }
        #expect(try host.services.audit.entries(tenantID: "fleet", action: "webhook_signature_invalid").count == 2)
    }

    @Test("the gateway sender posts {to, from, text} with the bearer token; Twilio is preferred when both are configured")
    func gatewaySender() async throws {
        try await FakeProvider.run(routes: { router in
            router.post("/v1/messages") { _, _ in try fakeJSON(["id": "gw-out-7", "status": "queued"]) }
        }) { gateway in
            let (host, _) = try Self.setup(apiURL: gateway.baseURL + "/v1/messages")
            let tenant = try #require(host.registry.tenant(slug: "fleet"))
            let contact = try host.services.contacts.create(tenantID: "fleet", name: "Dana", phone: "+31612345678", email: nil)
            let agent = try host.token("fleet", role: "agent")
            try await host.buildApplication().test(.router) { client in
                let api = APIClient(client: client, host: "fleet.localhost", token: agent)
                let sent = try await api.post("/api/v1/messages/send", ["contact_id": .string(contact.id), "channel": "sms", "type": "session_text", "text": "Uw monteur komt om 10:00"])
                let id = try #require(sent.json["message_id"]?.stringValue)
                let services = host.services
                let outcome = try await OutboundDelivery(services: services).deliver(messageID: id, tenant: tenant, attempt: 1, maxAttempts: 3)
                #expect(outcome == .sent(providerID: "gw-out-7"))
            }
            let request = try #require(gateway.requests("POST", "/v1/messages").first)
            #expect(request.json == ["to": "+31612345678", "from": "+3197010000000", "text": "Uw monteur komt om 10:00"])
            #expect(request.headers["authorization"] == "Bearer gateway-token")
            #expect(request.headers["content-type"] == "application/json")
        }
        let (both, _) = try Self.setup(apiURL: "http://127.0.0.1:9/v1/messages", twilio: true)
        let (sender, config) = try ChannelRouter.sender(for: "sms", tenant: try #require(both.registry.tenant(slug: "fleet")))
        #expect(sender is TwilioSender)
        #expect(config.kind == "twilio")
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 002 §9 "Policy/Compliance" and "Technisch", against fake providers on 127.0.0.1 with real signatures.
@Suite("Channels, webhooks and the outbound policy")
struct ChannelTests {
    static let phoneNumberID = "106540352242922"

    /// Secrets go into the environment under names unique to the test, as `env:` references require.
    static func secrets(_ values: [String: String]) -> [String: String] {
        var references: [String: String] = [:]
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8).uppercased()
        for (key, value) in values {
            let variable = "SB_TEST_\(key.uppercased())_\(suffix)"
            SecretEnvironment.set(variable, value)
            references[key] = "env:\(variable)"
        }
        return references
    }

    /// A tenant with sandbox, WhatsApp (Cloud API at `graph`) and Twilio (at `twilio`) channels.
    static func tenant(graph: String, twilio: String = "http://127.0.0.1:9", extra: String = "") -> (String, [String: String]) {
        let refs = secrets(["verify_token": "verify-me", "app_secret": "test_app_secret", "access_token": "EAAG-token", "auth_token": "test_auth_token"])
        let yaml = """
            slug: lq
            name: LeadQualifier test
            domains: [lq.localhost]
            timezone: Europe/Berlin
            channels:
              sandbox: {}
              whatsapp:
                phone_number_id: "\(phoneNumberID)"
                verify_token: \(refs["verify_token"]!)
                app_secret: \(refs["app_secret"]!)
                access_token: \(refs["access_token"]!)
                api_base: \(graph)/v21.0
              twilio:
                account_sid: AC00000000000000000000000000000001
                auth_token: \(refs["auth_token"]!)
                from: "+14155238886"
                webhook_url: https://example.com/hooks/twilio/whatsapp
                api_base: \(twilio)
            \(extra)
            """
        return (yaml, refs)
    }

    static func signedWhatsApp(_ body: String, secret: String = "test_app_secret") -> String {
        "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: Array(body.utf8)))
    }

    /// A Cloud API notification of one text message, which the lead sent at `sentAt` (epoch ms; by default the moment
    /// the host receives it, as from a provider that delivers at once).
    static func whatsAppMessage(id: String, from: String = "16505551234", text: String = "Hallo!", sentAt: Int64 = Clock.nowMillis()) -> String {
        """
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp",\
        "metadata":{"display_phone_number":"15550783881","phone_number_id":"\(phoneNumberID)"},\
        "contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"\(from)"}],\
        "messages":[{"from":"\(from)","id":"\(id)","timestamp":"\(sentAt / 1000)","type":"text","text":{"body":"\(text)"}}]},\
        "field":"messages"}]}]}
        """
    }

    @Test("the published signature test vectors verify")
    func signatureVectors() {
        #expect(Crypto.hex(Crypto.hmacSHA256(key: Array("secret".utf8), data: Array("test".utf8)))
            == "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914")
        let params = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"), ("From", "+14158675309"), ("To", "+18005551212")]
        #expect(TwilioWebhook.signature(url: "https://mycompany.com/myapp.php?foo=1&bar=2", params: params, token: "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
        #expect(TwilioWebhook.signatureCandidates(url: "https://mycompany.com/myapp.php?foo=1&bar=2", params: params, token: "12345")
            .contains("kvajT1Ptam85bY51eRf/AJRuM3w="))
        let duplicates = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
        #expect(TwilioWebhook.signature(url: "https://mycompany.com/myapp.php?foo=1&bar=2", params: duplicates, token: "12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU=")
    }

    @Test("WhatsApp: the hub.challenge verification, a forged signature is a 401, and a duplicate message changes nothing")
    func whatsAppWebhook() async throws {
        let (yaml, _) = Self.tenant(graph: "http://127.0.0.1:9")
        let host = try TestEnvironment.host(manifests: ["lq": yaml])
        let token = try host.token("lq", role: "admin")
        try await host.buildApplication().test(.router) { client in
            // Meta calls the platform URL: the tenant is found by its verify token.
            let verify = try await APIClient(client: client, host: "platform.example").get(
                "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444")
            #expect(verify.status == .ok && verify.text == "1158201444")
            let wrong = try await APIClient(client: client, host: "platform.example").get(
                "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1")
            #expect(wrong.status == .forbidden)

            let body = Self.whatsAppMessage(id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
            func post(_ signature: String) async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/webhooks/whatsapp", method: .post,
                    headers: [.init("Host")!: "platform.example", .init("X-Hub-Signature-256")!: signature, .contentType: "application/json"],
                    body: ByteBuffer(string: body)) { $0.status }
            }
            #expect(try await post("sha256=" + String(repeating: "0", count: 64)) == .unauthorized)
            #expect(try await post(Self.signedWhatsApp(body, secret: "wrong")) == .unauthorized)
            #expect(try host.services.audit.entries(tenantID: "lq", action: "webhook_signature_invalid").count == 2)
            #expect(try await post(Self.signedWhatsApp(body)) == .ok)
            #expect(try await post(Self.signedWhatsApp(body)) == .ok)

            let api = APIClient(client: client, host: "lq.localhost", token: token)
            let contacts = try await api.get("/api/v1/contacts?phone=%2B16505551234").json["data"]?.arrayValue ?? []
            #expect(contacts.count == 1 && contacts.first?["name"] == "Sheena Nelson")
            let conversations = try await api.get("/api/v1/conversations").json["data"]?.arrayValue ?? []
            #expect(conversations.count == 1)
            let conversation = try #require(conversations.first)
            #expect(conversation["channel"] == "whatsapp")
            #expect((conversation["service_window_expires_at"]?.doubleValue ?? 0) > Double(Clock.nowMillis() + 23 * 3_600_000))
            let messages = try await api.get("/api/v1/conversations/\(conversation["id"]?.stringValue ?? "")/messages").json["data"]?.arrayValue ?? []
            #expect(messages.count == 1, "a duplicate provider message id gives no second message")
            #expect(messages.first?["content"] == "Hallo!")
            // One message.received event: the duplicate gave no second reply either.
            #expect(try host.recordedEvents("lq", type: EventCatalogue.messageReceived).count == 1)
        }
    }

    @Test("WhatsApp status updates move delivery_status forward, and a failed one records its error code")
    func whatsAppStatuses() async throws {
        let sends = Counter()
        try await FakeProvider.run(routes: { router in
            router.post("/v21.0/\(Self.phoneNumberID)/messages") { _, _ in
                #"{"messaging_product":"whatsapp","contacts":[{"input":"16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.OUT\#(sends.next())"}]}"#
            }
        }) { graph in
            let (yaml, _) = Self.tenant(graph: graph.baseURL)
            let host = try TestEnvironment.host(manifests: ["lq": yaml])
            let tenant = try #require(host.registry.tenant(slug: "lq"))
            _ = try InboundProcessor(services: host.services).ingest(
                InboundMessage(channel: "whatsapp", providerMessageID: "wamid.IN1", phone: "+16505551234", text: "hi"), tenant: tenant)
            let contact = try #require(try host.services.contacts.find(tenantID: "lq", .phone("+16505551234")))
            let sent = try Outbound(services: host.services).send(
                .init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: "Danke!"), tenant: tenant, actor: "test")
            #expect(sent.status == "queued")
            let outcome = try await OutboundDelivery(services: host.services).deliver(messageID: sent.messageID, tenant: tenant, attempt: 1, maxAttempts: 3)
            #expect(outcome == .sent(providerID: "wamid.OUT1"))
            let request = try #require(graph.requests.last)
            #expect(request.headers["authorization"] == "Bearer EAAG-token")
            let wire = request.json
            #expect(wire["to"] == "16505551234" && wire["type"] == "text" && wire["text"]?["body"] == "Danke!")

            func status(_ state: String, error: String = "") async throws {
                let body = """
                    {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp",\
                    "metadata":{"phone_number_id":"\(Self.phoneNumberID)"},"statuses":[{"id":"wamid.OUT1","status":"\(state)",\
                    "timestamp":"1698266945","recipient_id":"16505551234"\(error)}]},"field":"messages"}]}]}
                    """
                try await host.buildApplication().test(.router) { client in
                    try await client.execute(
                        uri: "/webhooks/whatsapp", method: .post,
                        headers: [.init("Host")!: "lq.localhost", .init("X-Hub-Signature-256")!: Self.signedWhatsApp(body)],
                        body: ByteBuffer(string: body)) { #expect($0.status == .ok) }
                }
            }
            func stored() throws -> (String?, String?) {
                let row = try host.services.database.read {
                    try $0.query("SELECT status, error_code FROM messages WHERE tenant_id = 'lq' AND id = $1", [.text(sent.messageID)]).first
                }
                return (row?.string("status"), row?.string("error_code"))
            }
            try await status("read")
            #expect(try stored().0 == "read")
            try await status("delivered")
            #expect(try stored().0 == "read", "read arrives before delivered at times; a status never moves back")
            let other = try Outbound(services: host.services).send(
                .init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: "Noch da?"), tenant: tenant, actor: "test")
            #expect(try await OutboundDelivery(services: host.services).deliver(messageID: other.messageID, tenant: tenant, attempt: 1, maxAttempts: 3)
                == .sent(providerID: "wamid.OUT2"))
            let body = """
                {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"metadata":{"phone_number_id":"\(Self.phoneNumberID)"},\
                "statuses":[{"id":"wamid.OUT2","status":"failed","timestamp":"1","recipient_id":"16505551234",\
                "errors":[{"code":131047,"title":"Re-engagement message"}]}]},"field":"messages"}]}]}
                """
            try await host.buildApplication().test(.router) { client in
                try await client.execute(
                    uri: "/webhooks/whatsapp", method: .post,
                    headers: [.init("Host")!: "lq.localhost", .init("X-Hub-Signature-256")!: Self.signedWhatsApp(body)],
                    body: ByteBuffer(string: body)) { #expect($0.status == .ok) }
            }
            let failed = try host.services.database.read {
                try $0.query("SELECT status, error_code FROM messages WHERE id = $1", [.text(other.messageID)]).first
            }
            #expect(failed?.string("status") == "failed" && failed?.string("error_code") == "131047")
        }
    }

    @Test("Twilio: the media list follows NumMedia, at most ten; a huge count (found by make soak) no longer sizes it")
    func twilioMediaCount() throws {
        let base = ["MessageSid": "SM1", "From": "+14155550100", "MediaUrl0": "https://api.twilio.com/m0", "MediaContentType0": "image/png"]
        func media(_ count: String) -> [JSON] {
            TwilioWebhook.message(base.merging(["NumMedia": count]) { _, new in new })?.details["media"]?.arrayValue ?? []
        }
        #expect(media("1").map { $0["url"] } == ["https://api.twilio.com/m0"])
        #expect(media("0").isEmpty && media("-5").isEmpty)
        #expect(media("99999999999999").count == TwilioWebhook.maxMedia)
    }

    @Test("Twilio: a signed message lands, a forged signature is a 401, status callbacks update delivery")
    func twilioWebhook() async throws {
        let (yaml, _) = Self.tenant(graph: "http://127.0.0.1:9")
        let host = try TestEnvironment.host(manifests: ["lq": yaml])
        let params = [
            ("MessageSid", "SM00000000000000000000000000000001"), ("AccountSid", "AC00000000000000000000000000000001"),
            ("From", "whatsapp:+14155550100"), ("To", "whatsapp:+14155238886"), ("Body", "Hello"), ("NumMedia", "0"),
            ("ProfileName", "Alice"), ("WaId", "14155550100"),
        ]
        let form = FormEncoding.encode(params)
        #expect(TwilioWebhook.signature(url: "https://example.com/hooks/twilio/whatsapp", params: params, token: "test_auth_token")
            == "bAp3P1ranvY0gNA1Xqw41wAi94U=")
        try await host.buildApplication().test(.router) { client in
            func post(_ body: String, signature: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(
                    uri: "/webhooks/twilio", method: .post,
                    headers: [.init("Host")!: "platform.example", .init("X-Twilio-Signature")!: signature,
                              .contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: body)) { ($0.status, String(buffer: $0.body)) }
            }
            #expect(try await post(form, signature: "bm90IGEgc2lnbmF0dXJl").0 == .unauthorized)
            let accepted = try await post(form, signature: "bAp3P1ranvY0gNA1Xqw41wAi94U=")
            #expect(accepted.0 == .ok && accepted.1.contains("<Response>"))
            let contact = try #require(try host.services.contacts.find(tenantID: "lq", .phone("+14155550100")))
            #expect(contact.name == "Alice")
            #expect(try host.services.audit.entries(tenantID: "lq", action: "webhook_signature_invalid").count == 1)
        }
    }

    @Test("seed 002 §9 policy: outside the window blocked, inside allowed, quiet hours shifted, revoked consent blocked")
    func policy() async throws {
        let (yaml, _) = Self.tenant(graph: "http://127.0.0.1:9")
        let host = try TestEnvironment.host(manifests: ["lq": yaml])
        let tenant = try #require(host.registry.tenant(slug: "lq"))
        let outbound = Outbound(services: host.services)
        try host.services.templates.create(tenantID: "lq", template: MessageTemplate(
            id: "t1", name: "lead_nudge_v1", channel: "whatsapp", language: "de", category: "marketing", subject: nil,
            body: "Hi {{first_name}}, kurze Frage noch?", htmlBody: nil, variables: ["first_name"], approvalStatus: "approved",
            businessEntity: nil, active: true, usageCount: 0, createdAt: 0, updatedAt: 0))
        try host.services.templates.create(tenantID: "lq", template: MessageTemplate(
            id: "t2", name: "draft_v1", channel: "whatsapp", language: "de", category: "utility", subject: nil,
            body: "Draft", htmlBody: nil, variables: [], approvalStatus: "pending",
            businessEntity: nil, active: true, usageCount: 0, createdAt: 0, updatedAt: 0))
        let contact = try host.services.contacts.create(tenantID: "lq", name: "Lena", phone: "+4915112345678", email: nil)
        // 2026-11-23 14:00 in Berlin (13:00 UTC): inside the allowed hours.
        let afternoon: Int64 = 1_795_438_800_000

        // Outside the 24-hour window (the contact never wrote), a free-form message is blocked.
        let blocked = try outbound.send(.init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: "Hallo"), tenant: tenant, actor: "test", now: afternoon)
        #expect(blocked.status == "blocked" && blocked.reason == "outside_service_window")
        // …an approved template may go, an unapproved one may not.
        let nudge = try outbound.send(.init(contactID: contact.id, channel: "whatsapp", type: "template", templateName: "lead_nudge_v1", variables: ["first_name": "Lena"]),
                                      tenant: tenant, actor: "test", now: afternoon)
        #expect(nudge.status == "queued")
        #expect(try outbound.send(.init(contactID: contact.id, channel: "whatsapp", type: "template", templateName: "draft_v1"),
                                  tenant: tenant, actor: "test", now: afternoon).reason == "template_not_approved")

        // Inside the window, a session message is allowed.
        _ = try InboundProcessor(services: host.services).ingest(
            InboundMessage(channel: "whatsapp", providerMessageID: "wamid.P1", phone: "+4915112345678", text: "Ja"), tenant: tenant, now: afternoon - 3_600_000)
        let allowed = try outbound.send(.init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: "Super!"), tenant: tenant, actor: "test", now: afternoon)
        #expect(allowed.status == "queued" && allowed.sendAt == afternoon)

        // Quiet hours: at 23:30 Berlin the template waits until 07:00 the next morning.
        let lateEvening: Int64 = afternoon + (9 * 60 + 30) * 60_000
        let shifted = try outbound.send(.init(contactID: contact.id, channel: "whatsapp", type: "template", templateName: "lead_nudge_v1", variables: ["first_name": "Lena"]),
                                        tenant: tenant, actor: "test", now: lateEvening)
        #expect(shifted.status == "scheduled" && shifted.reason == "quiet_hours")
        #expect(shifted.sendAt == afternoon + 17 * 3_600_000, "07:00 Berlin the next day")
        let deliveryJob = try host.services.jobs.list(tenantID: "lq", pluginID: nil, status: "pending", kind: Outbound.deliverKind)
            .first { $0.payload["message_id"]?.stringValue == shifted.messageID }
        #expect(deliveryJob?.runAt == shifted.sendAt)

        // Consent revoked: the marketing and bot messages still waiting are blocked with it, and new marketing is refused.
        _ = try host.services.contacts.update(tenantID: "lq", id: contact.id, attributes: ["consent_status": "revoked"])
        for waiting in [nudge, allowed, shifted] {
            let row = try host.services.database.read {
                try $0.query("SELECT status, error_code FROM messages WHERE id = $1", [.text(waiting.messageID)]).first
            }
            #expect(row?.string("status") == "blocked" && row?.string("error_code") == "consent_revoked")
        }
        let revoked = try outbound.send(.init(contactID: contact.id, channel: "whatsapp", type: "template", templateName: "lead_nudge_v1"), tenant: tenant, actor: "test", now: afternoon)
        #expect(revoked.status == "blocked" && revoked.reason == "consent_revoked")

        // Every block and shift is audited with its reason, and the blocked messages are stored, not dropped.
        let reasons = try host.services.audit.entries(tenantID: "lq", action: "policy_blocked_send").compactMap { $0.details["reason"]?.stringValue }
        #expect(Set(reasons) == ["outside_service_window", "template_not_approved", "consent_revoked"])
        #expect(try host.services.audit.entries(tenantID: "lq", action: "policy_shifted_send").count == 1)
        let blockedRows = try host.services.database.read { try $0.query("SELECT COUNT(*) AS n FROM messages WHERE status = 'blocked'") }
        #expect(blockedRows.first?.int("n") == 6)
    }

    @Test("POST /api/v1/messages/send answers 422 with the policy reason for a blocked send, 202 for a sent one")
    func sendEndpoint() async throws {
        // No quiet hours, so the sandbox send goes at once whatever the time of day.
        let (yaml, _) = Self.tenant(graph: "http://127.0.0.1:9", extra: "messaging: {allowed_hours: \"00:00-24:00\"}")
        let host = try TestEnvironment.host(manifests: ["lq": yaml])
        let token = try host.token("lq", role: "agent")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "lq.localhost", token: token)
            let contact = try await api.post("/api/v1/contacts", ["name": "Max", "phone": "+4915199999999"])
            let id = try #require(contact.json["id"]?.stringValue)
            let blocked = try await api.post("/api/v1/messages/send", ["contact_id": .string(id), "channel": "whatsapp", "type": "session_text", "text": "Hi"])
            #expect(blocked.status == .unprocessableContent)
            #expect(blocked.json["errors"]?.arrayValue?.first?["message"] == "outside_service_window")
            let sandbox = try await api.post("/api/v1/messages/send", ["contact_id": .string(id), "channel": "sandbox", "type": "session_text", "text": "Hi"])
            #expect(sandbox.status == .accepted)
            #expect(sandbox.json["status"] == "sent", "the sandbox stores outbound messages as sent")
            #expect(try await api.post("/api/v1/messages/send", ["contact_id": "nobody", "type": "session_text", "text": "x"]).status == .unprocessableContent)
            // Inbound through the sandbox webhook; a repeated id changes nothing.
            let first = try await api.send(.post, "/webhooks/sandbox", json: ["from": "+4915199999999", "text": "Hallo", "id": "sb-1"], token: .some(nil))
            #expect(first.status == .accepted && first.json["duplicate"] == .bool(false))
            let again = try await api.send(.post, "/webhooks/sandbox", json: ["from": "+4915199999999", "text": "Hallo", "id": "sb-1"], token: .some(nil))
            #expect(again.status == .ok && again.json["duplicate"] == .bool(true))
        }
    }

    @Test("provider errors: a timeout or 5xx is retried, WhatsApp 131047 fails the message with its code")
    func providerErrors() async throws {
        let calls = Counter()
        try await FakeProvider.run(routes: { router in
            router.post("/v21.0/\(Self.phoneNumberID)/messages") { request, _ -> Response in
                let call = calls.next()
                if call == 1 {
                    try await Task.sleep(for: .seconds(10))  // longer than the host's provider timeout
                }
                if call == 2 { return Response(status: .serviceUnavailable) }
                if call == 4 {
                    return Response(status: .badRequest, body: ResponseBody(byteBuffer: ByteBuffer(string:
                        #"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,"fbtrace_id":"x"}}"#)))
                }
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"messages":[{"id":"wamid.RETRIED"}]}"#)))
            }
        }) { graph in
            let (yaml, _) = Self.tenant(graph: graph.baseURL)
            // Long enough for a busy machine to answer the other calls in.
            let host = try TestEnvironment.host(manifests: ["lq": yaml], configure: { $0.providerTimeoutMillis = 3000 })
            let tenant = try #require(host.registry.tenant(slug: "lq"))
            _ = try InboundProcessor(services: host.services).ingest(
                InboundMessage(channel: "whatsapp", providerMessageID: "wamid.IN", phone: "+16505551234", text: "hi"), tenant: tenant)
            let contact = try #require(try host.services.contacts.find(tenantID: "lq", .phone("+16505551234")))
            let delivery = OutboundDelivery(services: host.services)
            let message = try Outbound(services: host.services).send(.init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: "x"), tenant: tenant, actor: "t")
            await #expect(throws: DeliveryError.self) { try await delivery.deliver(messageID: message.messageID, tenant: tenant, attempt: 1, maxAttempts: 5) }
            await #expect(throws: DeliveryError.self) { try await delivery.deliver(messageID: message.messageID, tenant: tenant, attempt: 2, maxAttempts: 5) }
            #expect(try await delivery.deliver(messageID: message.messageID, tenant: tenant, attempt: 3, maxAttempts: 5) == .sent(providerID: "wamid.RETRIED"))

            let second = try Outbound(services: host.services).send(.init(contactID: contact.id, channel: "whatsapp", type: "session_text", text: "y"), tenant: tenant, actor: "t")
            #expect(try await delivery.deliver(messageID: second.messageID, tenant: tenant, attempt: 1, maxAttempts: 5) == .failed(code: "131047"))
            let row = try host.services.database.read { try $0.query("SELECT status, error_code FROM messages WHERE id = $1", [.text(second.messageID)]).first }
            #expect(row?.string("status") == "failed" && row?.string("error_code") == "131047")
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
    }
}

@Suite("Provider send formats")
struct ProviderSendFormatTests {
    @Test("Twilio: a form-encoded Messages API call with basic auth, WhatsApp numbers prefixed")
    func twilioSend() async throws {
        try await FakeProvider.run(routes: { router in
            router.post("/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json") { _, _ -> Response in
                Response(status: .created, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"sid":"SM123","status":"queued"}"#)))
            }
        }) { twilio in
            let (yaml, _) = ChannelTests.tenant(graph: "http://127.0.0.1:9", twilio: twilio.baseURL)
            let config = try #require(try ManifestParser.parse(yaml).0.channels["twilio"])
            let envelope = OutboundEnvelope(
                messageID: "m1", to: "+4915112345678", type: "session_text", text: "Hallo & tschüss", template: nil, variables: [:],
                interactive: nil, threadKey: nil, language: "de")
            let id = try await TwilioSender(medium: "whatsapp").deliver(envelope, config: config, http: HTTPClient())
            #expect(id == "SM123")
            let request = try #require(twilio.requests.last)
            #expect(request.headers["authorization"] == "Basic " + Data("AC00000000000000000000000000000001:test_auth_token".utf8).base64EncodedString())
            let form = Dictionary(FormEncoding.decode(request.text), uniquingKeysWith: { a, _ in a })
            #expect(form["To"] == "whatsapp:+4915112345678" && form["From"] == "whatsapp:+14155238886" && form["Body"] == "Hallo & tschüss")
        }
    }

    @Test("WhatsApp: template and interactive bodies in the Cloud API's format")
    func whatsAppBodies() {
        let template = MessageTemplate(
            id: "t", name: "appointment_reminder_55m_v1", channel: "whatsapp", language: "de", category: "utility", subject: nil,
            body: "Hallo {{name}}, um {{time}} geht's los: {{link}}", htmlBody: nil, variables: ["name", "time", "link"],
            approvalStatus: "approved", businessEntity: nil, active: true, usageCount: 0, createdAt: 0, updatedAt: 0)
        let body = WhatsAppSender.body(OutboundEnvelope(
            messageID: "m", to: "+4915112345678", type: "template", text: nil, template: template,
            variables: ["name": "Lena", "time": "14:00", "link": "https://meet.example/x"], interactive: nil, threadKey: nil, language: "de"))
        #expect(body["to"] == "4915112345678" && body["type"] == "template")
        #expect(body["template"]?["name"] == "appointment_reminder_55m_v1")
        #expect(body["template"]?["language"]?["code"] == "de")
        #expect(body["template"]?["components"]?.arrayValue?.first?["parameters"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
            == ["Lena", "14:00", "https://meet.example/x"])
        let buttons: JSON = ["type": "button", "body": ["text": "Ads aktiv?"], "action": ["buttons": [["type": "reply", "reply": ["id": "yes", "title": "Ja"]]]]]
        let interactive = WhatsAppSender.body(OutboundEnvelope(
            messageID: "m", to: "+4915112345678", type: "interactive", text: nil, template: nil, variables: [:], interactive: buttons,
            threadKey: nil, language: "de"))
        #expect(interactive["type"] == "interactive" && interactive["interactive"] == buttons)
    }
}

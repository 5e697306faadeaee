import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// The notification and subscription shapes follow microsoftgraph/microsoft-graph-docs-contrib
/// `concepts/change-notifications-delivery-webhooks.md`; message fields follow the Graph `message` resource.
@Suite("Outlook mail through Microsoft Graph: handshake, notifications, fetch, subscriptions, sending")
struct OutlookChannelTests {
    static let mailbox = "support@chargecars.example"

    struct Setup {
        let host: SwitchboardHost
        let clientState: String
        var tenant: Tenant { host.registry.tenant(slug: "charge")! }
    }

    /// A tenant whose Graph and login endpoints are at `base`.
    static func setup(base: String = "http://127.0.0.1:9") throws -> Setup {
        let clientState = "state-\(UUID().uuidString)"
        let host = try TestEnvironment.host(manifests: ["charge": manifest(slug: "charge", domain: "charge.localhost", channels: """
              outlook:
                tenant_id: dir-\(UUID().uuidString)
                client_id: app-\(UUID().uuidString)
                client_secret: env:\(uniqueSecret("graph-secret"))
                mailbox: \(mailbox)
                client_state: env:\(uniqueSecret(clientState))
                notification_url: https://hooks.chargecars.example/webhooks/outlook
                graph_base: \(base)/v1.0
                login_base: \(base)
            """)])
        return Setup(host: host, clientState: clientState)
    }

    /// A fake Graph: the token endpoint, messages by id, subscriptions and sending.
    static func graph(messages: [String: JSON] = [:]) -> (Router<BasicRequestContext>) -> Void {
        { router in
            router.post("/:directory/oauth2/v2.0/token") { _, _ in
                try fakeJSON(["token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "graph-token-1"])
            }
            router.get("/v1.0/users/:mailbox/messages/:id") { _, context in
                guard let message = messages[context.parameters.get("id") ?? ""] else {
                    return try fakeJSON(["error": ["code": "ErrorItemNotFound", "message": "Not found."]], status: .notFound)
                }
                return try fakeJSON(message)
            }
            router.post("/v1.0/subscriptions") { request, _ in
                var request = request
                let body = try JSON.parse(bytes: Array(try await request.collectBody(upTo: 1 << 16).readableBytesView))
                return try fakeJSON(body.merging(["id": "sub-1", "applicationId": "app"]), status: .created)
            }
            router.patch("/v1.0/subscriptions/:id") { request, context in
                var request = request
                let body = try JSON.parse(bytes: Array(try await request.collectBody(upTo: 1 << 16).readableBytesView))
                return try fakeJSON(["id": .string(context.parameters.get("id") ?? ""), "expirationDateTime": body["expirationDateTime"] ?? .null])
            }
            router.post("/v1.0/users/:mailbox/sendMail") { _, _ in Response(status: .accepted) }
            router.post("/v1.0/users/:mailbox/messages/:id/reply") { _, _ in Response(status: .accepted) }
        }
    }

    static func mail(id: String, conversation: String, from: String, subject: String, html: String) -> JSON {
        [
            "id": .string(id), "subject": .string(subject), "conversationId": .string(conversation),
            "internetMessageId": .string("<\(id)@mail.example>"),
            "from": ["emailAddress": ["name": "Dana Driver", "address": .string(from)]],
            "body": ["contentType": "html", "content": .string(html)],
            "internetMessageHeaders": [["name": "Message-ID", "value": .string("<\(id)@mail.example>")]],
        ]
    }

    static func notification(message id: String, clientState: String, subscription: String = "sub-1") -> JSON {
        [
            "id": "lsgTZMr9KwAAA", "subscriptionId": .string(subscription), "subscriptionExpirationDateTime": "2026-11-26T10:00:00.000Z",
            "clientState": .string(clientState), "changeType": "created", "tenantId": "84bd8158-6d4d-4958-8b9f-9d6445542f95",
            "resource": .string("Users/\(mailbox)/Messages/\(id)"),
            "resourceData": ["@odata.type": "#Microsoft.Graph.Message", "@odata.id": .string("Users/\(mailbox)/Messages/\(id)"), "id": .string(id)],
        ]
    }

    @Test("the validationToken handshake answers the decoded token as text/plain")
    func handshake() async throws {
        let setup = try Self.setup()
        try await setup.host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "charge.localhost")
            let reply = try await api.send(
                .post, "/webhooks/outlook?validationToken=Validation%3a+Testing+client+application+reachability+for+subscription+Request-Id%3a+2f3a")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(reply.text == "Validation: Testing client application reachability for subscription Request-Id: 2f3a")
        }
    }

    @Test("a batch is checked item by item: forged clientState dropped and audited, one fetch job per message, 202 at once")
    func notificationBatch() async throws {
        let setup = try Self.setup()
        try ChannelSubscriptionStore(database: setup.host.services.database).save(
            .init(id: "sub-1", resource: "/users/\(Self.mailbox)/mailFolders('inbox')/messages", expiresAt: Clock.nowMillis() + 86_400_000),
            tenantID: "charge", channel: "outlook")
        try await setup.host.buildApplication().test(.router) { client in
            let platform = APIClient(client: client, host: "hooks.platform.example")
            let batch: JSON = ["value": [
                Self.notification(message: "AAMkA1", clientState: setup.clientState),
                Self.notification(message: "AAMkA2", clientState: "forged"),
                Self.notification(message: "AAMkA1", clientState: setup.clientState),
                Self.notification(message: "AAMkA3", clientState: setup.clientState, subscription: "sub-of-nobody"),
            ]]
            // "At once": the answer does not wait for Graph; the mail is fetched later by the pending job below.
            let reply = try await platform.send(.post, "/webhooks/outlook", json: batch)
            #expect(reply.status == .accepted)
            #expect(reply.json["accepted"] == 2)
            #expect(reply.json["dropped"] == 2)
        }
        let jobs = try setup.host.services.jobs.list(tenantID: "charge", pluginID: nil, status: "pending", kind: OutlookFetchJob.jobKind)
        #expect(jobs.map(\.payload) == [["message_id": "AAMkA1"]])
        let audited = try setup.host.services.audit.entries(tenantID: "charge", action: "webhook_signature_invalid")
        #expect(audited.count == 1)
        #expect(audited.first?.details["reason"] == "client_state_mismatch")
    }

    @Test("the fetch job ingests mail as email; a reply in the same conversationId joins its conversation; a redelivery adds nothing")
    func fetchAndThread() async throws {
        let first = Self.mail(
            id: "AAMkA1", conversation: "AAQkConv1", from: "Dana@Driver.example", subject: "Laadpaal storing",
            html: "<html><head><style>p{}</style></head><body><p>Mijn laadpaal &amp; app doen het niet.</p><p>Groet,<br>Dana</p></body></html>")
        let second = Self.mail(
            id: "AAMkA2", conversation: "AAQkConv1", from: "dana@driver.example", subject: "RE: Laadpaal storing", html: "<div>Nog steeds stuk</div>")
        try await FakeProvider.run(routes: Self.graph(messages: ["AAMkA1": first, "AAMkA2": second])) { graph in
            let setup = try Self.setup(base: graph.baseURL)
            let services = setup.host.services, tenant = setup.tenant
            for id in ["AAMkA1", "AAMkA2", "AAMkA1"] {
                try await OutlookFetchJob().run(payload: ["message_id": .string(id)], tenant: tenant, services: services)
            }
            let rows = try services.database.read {
                try $0.query("SELECT * FROM messages WHERE tenant_id = 'charge' ORDER BY created_at, content")
            }
            #expect(rows.count == 2)
            #expect(Set(rows.compactMap { $0.string("conversation_id") }).count == 1)
            #expect(rows.allSatisfy { $0.string("channel") == "email" })
            #expect(rows.compactMap { $0.string("content") }.contains("Mijn laadpaal & app doen het niet.\n\nGroet,\nDana"))
            let details = try JSON.parse(rows.first { $0.string("provider_message_id") == "<AAMkA1@mail.example>" }?.string("variables") ?? "{}")
            #expect(details["subject"] == "Laadpaal storing")
            #expect(details["reply_id"] == "AAMkA1")
            let conversation = try #require(try services.conversations.find(tenantID: "charge", id: rows[0].string("conversation_id") ?? ""))
            #expect(conversation.threadKey == "AAQkConv1")
            #expect(try services.contacts.find(tenantID: "charge", .email("dana@driver.example"))?.name == "Dana Driver")

            let reads = graph.requests("GET", "/v1.0/users/\(Self.mailbox)/messages/")
            #expect(reads.count == 3)
            #expect(reads.first?.headers["authorization"] == "Bearer graph-token-1")
            #expect(reads.first?.query.contains("$select=subject,from,body,hasAttachments,conversationId,internetMessageId,internetMessageHeaders") == true)
            let tokens = graph.requests("POST", "/")
                .filter { $0.path.hasSuffix("/oauth2/v2.0/token") }
            #expect(tokens.count == 1, "the app token is cached")
            let form = Dictionary(FormEncoding.decode(tokens.first?.text ?? ""), uniquingKeysWith: { a, _ in a })
            #expect(form["grant_type"] == "client_credentials")
            #expect(form["scope"] == "https://graph.microsoft.com/.default")
            #expect(form["client_secret"] == "graph-secret")
            #expect(tokens.first?.headers["content-type"] == "application/x-www-form-urlencoded")
        }
    }

    @Test("the subscription job creates the subscription, leaves it while it is fresh, and renews it when less than a day remains")
    func subscriptionLifecycle() async throws {
        try await FakeProvider.run(routes: Self.graph()) { graph in
            let setup = try Self.setup(base: graph.baseURL)
            let services = setup.host.services, tenant = setup.tenant
            let bootstrap = try services.jobs.list(tenantID: "charge", pluginID: nil, status: "pending", kind: OutlookSubscriptionJob.jobKind)
            #expect(bootstrap.map(\.uniqueKey) == ["outlook.subscriptions:start"], "starting the tenant queues the first run")

            let start = Clock.nowMillis()
            let created = try await OutlookSubscriptionJob().keep(tenant: tenant, services: services, now: start)
            #expect(created.id == "sub-1")
            #expect(abs(created.expiresAt - (start + 4230 * 60_000)) < 1000)
            let create = try #require(graph.requests("POST", "/v1.0/subscriptions").first)
            #expect(create.headers["authorization"] == "Bearer graph-token-1")
            #expect(create.json["changeType"] == "created")
            #expect(create.json["notificationUrl"] == "https://hooks.chargecars.example/webhooks/outlook")
            #expect(create.json["resource"] == .string("/users/\(Self.mailbox)/mailFolders('inbox')/messages"))
            #expect(create.json["clientState"] == .string(setup.clientState))
            #expect(create.json["expirationDateTime"]?.stringValue.flatMap { Clock.millis(rfc3339: $0) }.map { abs($0 - created.expiresAt) < 1000 } == true)

            let fresh = try await OutlookSubscriptionJob().keep(tenant: tenant, services: services, now: start + 3_600_000)
            #expect(fresh == created)
            #expect(graph.requests("PATCH", "/v1.0/subscriptions").isEmpty)

            let late = start + 50 * 3_600_000
            let renewed = try await OutlookSubscriptionJob().keep(tenant: tenant, services: services, now: late)
            let patch = try #require(graph.requests("PATCH", "/v1.0/subscriptions/sub-1").first)
            #expect(patch.json.objectValue?.keys.sorted() == ["expirationDateTime"])
            #expect(renewed.id == "sub-1")
            #expect(abs(renewed.expiresAt - (late + 4230 * 60_000)) < 1000)
            #expect(try ChannelSubscriptionStore(database: services.database).find(tenantID: "charge", channel: "outlook") == renewed)
            #expect(graph.requests("POST", "/v1.0/subscriptions").count == 1)

            let next = try services.jobs.list(tenantID: "charge", pluginID: nil, status: "pending", kind: OutlookSubscriptionJob.jobKind)
                .filter { $0.uniqueKey == "outlook.subscriptions:sub-1:\(renewed.expiresAt)" }
            #expect(next.count == 1)
            #expect(next.first.map { $0.runAt > late && $0.runAt < renewed.expiresAt - 23 * 3_600_000 } == true)
        }
    }

    @Test("sending: a reply in a mail thread answers the last inbound message; a new email goes through sendMail")
    func sending() async throws {
        let inbound = Self.mail(id: "AAMkR1", conversation: "AAQkConv9", from: "dana@driver.example", subject: "Offerte", html: "<p>Graag een offerte</p>")
        try await FakeProvider.run(routes: Self.graph(messages: ["AAMkR1": inbound])) { graph in
            let setup = try Self.setup(base: graph.baseURL)
            let services = setup.host.services, tenant = setup.tenant
            try await OutlookFetchJob().run(payload: ["message_id": "AAMkR1"], tenant: tenant, services: services)
            let dana = try #require(try services.contacts.find(tenantID: "charge", .email("dana@driver.example")))
            let newcomer = try services.contacts.create(tenantID: "charge", name: "Nico", phone: "+31611111111", email: "nico@example.com")
            let agent = try setup.host.token("charge", role: "agent")
            try await setup.host.buildApplication().test(.router) { client in
                let api = APIClient(client: client, host: "charge.localhost", token: agent)
                for (contact, text) in [(dana.id, "Hierbij de offerte."), (newcomer.id, "Welkom bij ChargeCars")] {
                    let sent = try await api.post("/api/v1/messages/send", [
                        "contact_id": .string(contact), "channel": "email", "type": "session_text", "text": .string(text),
                        "variables": ["subject": "Uw aanvraag"],
                    ])
                    #expect(sent.status == .accepted)
                    let id = try #require(sent.json["message_id"]?.stringValue)
                    let outcome = try await OutboundDelivery(services: services).deliver(messageID: id, tenant: tenant, attempt: 1, maxAttempts: 3)
                    #expect(outcome == .sent(providerID: "graph-\(id)"))
                }
            }
            let reply = try #require(graph.requests("POST", "/v1.0/users/\(Self.mailbox)/messages/AAMkR1/reply").first)
            #expect(reply.json == ["comment": "Hierbij de offerte."])
            let sendMail = try #require(graph.requests("POST", "/v1.0/users/\(Self.mailbox)/sendMail").first)
            #expect(sendMail.json == [
                "message": [
                    "subject": "Uw aanvraag", "body": ["contentType": "Text", "content": "Welkom bij ChargeCars"],
                    "toRecipients": [["emailAddress": ["address": "nico@example.com"]]],
                ],
                "saveToSentItems": true,
            ])
            #expect(sendMail.headers["authorization"] == "Bearer graph-token-1")
            #expect(sendMail.headers["content-type"] == "application/json")
        }
    }

    @Test("HTML mail bodies read as plain text")
    func htmlText() {
        #expect(HTMLText.plain("<p>Hallo&nbsp;Dana,</p><p>Zie <b>hier</b>:<br/>1 &lt; 2 &amp;amp; &#8364;5 &#x263A;</p><script>x()</script>") ==
            "Hallo Dana,\n\nZie hier:\n1 < 2 &amp; €5 ☺")
    }
}

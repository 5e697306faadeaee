import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Property-based fuzzing with a seeded generator (`Fuzzer`): every parser survives hostile input, and every
/// HTTP path answers it below 500, a 4xx as problem+json. `make test` runs a few thousand inputs per target;
/// `make soak` runs 100,000 per parser and 2,000 requests per route.
@Suite("Fuzzing: webhook parsers, the manifest loader, CSV records and automation conditions")
struct FuzzTests {
    static let appSecret = "fuzz-app-secret", smsSecret = "fuzz-sms-secret", authToken = "fuzz-auth-token"
    static let chatwootToken = "fuzz-chatwoot-token", clientState = "fuzz-client-state"
    static let twilioURL = "https://fuzz.example/webhooks/twilio"

    /// A tenant with every inbound channel, its secrets known to the test, and an Outlook subscription.
    static func host() throws -> SwitchboardHost {
        let env = { (value: String) in "env:" + uniqueSecret(value) }
        let host = try TestEnvironment.host(manifests: ["fz": manifest(slug: "fz", domain: "fz.localhost", channels: """
              sandbox: {}
              whatsapp: {phone_number_id: "1065", verify_token: \(env("v")), app_secret: \(env(appSecret)), access_token: \(env("t")), api_base: "http://127.0.0.1:9"}
              twilio: {account_sid: AC1, auth_token: \(env(authToken)), from: "+14155238886", webhook_url: "\(twilioURL)", api_base: "http://127.0.0.1:9"}
              sms: {secret: \(env(smsSecret)), from: "+3197010000000", api_url: "http://127.0.0.1:9/sms", api_token: \(env("g"))}
              chatwoot: {base_url: "http://127.0.0.1:9", account_id: 7, api_token: \(env("c")), webhook_token: \(env(chatwootToken))}
              outlook: {tenant_id: d, client_id: c, client_secret: \(env("s")), mailbox: m@fz.example, client_state: \(env(clientState)), notification_url: "https://fz.example/webhooks/outlook", graph_base: "http://127.0.0.1:9/v1.0", login_base: "http://127.0.0.1:9"}
            """)])
        try ChannelSubscriptionStore(database: host.services.database).save(
            .init(id: "sub-1", resource: "/users/m@fz.example/messages", expiresAt: Clock.nowMillis() + 86_400_000), tenantID: "fz", channel: "outlook")
        return host
    }

    // MARK: valid seeds

    static let sandbox: JSON = ["from": "+31612345678", "name": "Fuzz", "text": "Hallo", "id": "m-1"]
    static let sms: JSON = ["from": "+31612345678", "to": "+3197010000000", "text": "Hallo", "id": "sms-1"]
    static let whatsApp = try! JSON.parse(ChannelTests.whatsAppMessage(id: "wamid.FUZZ", text: "Hallo"))
    static let whatsAppStatus: JSON = ["object": "whatsapp_business_account", "entry": [["id": "1", "changes": [["field": "messages", "value": [
        "metadata": ["phone_number_id": "1065"],
        "statuses": [["id": "wamid.OUT", "status": "failed", "timestamp": "1", "recipient_id": "1650", "errors": [["code": 131047, "title": "x"]]]],
    ]]]]]]
    static let chatwoot = ChatwootChannelTests.messageCreated(id: 9, conversation: 4, content: "Hallo")
    static let outlook: JSON = ["value": [OutlookChannelTests.notification(message: "AAMk1", clientState: clientState)]]
    static let twilio = FormEncoding.encode([
        ("MessageSid", "SM1"), ("AccountSid", "AC1"), ("From", "whatsapp:+14155550100"), ("To", "whatsapp:+14155238886"),
        ("Body", "Hello"), ("NumMedia", "1"), ("MediaUrl0", "http://127.0.0.1:9/m"), ("MediaContentType0", "image/png"), ("ProfileName", "Al"),
    ])
    static let twilioStatus = FormEncoding.encode([("MessageSid", "SM2"), ("AccountSid", "AC1"), ("MessageStatus", "failed"), ("ErrorCode", "30008")])
    static let rule: JSON = ["name": "r", "event": "contact_updated", "active": true,
        "conditions": [["attribute": "age", "operator": "greater_than", "value": 17], ["label": "vip", "operator": "is_present", "join": "or"],
                       ["field": "email", "operator": "contains", "value": "@"]],
        "actions": [["add_label": "adult"]]]
    static let csv = "Naam;Contact;Telefoon\r\nAnna;anna@example.com;0612345678\r\n\"Dirk \"\"DJ\"\"\r\nCafé\";dirk@example.com;\r\n"
    static let manifestYAML = try! String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/tutorbot.yaml"), encoding: .utf8)

    // MARK: parsers, called directly

    /// Runs `count` generated inputs through `body`; returns the count for the printout.
    static func run(_ target: String, seed: UInt64, count: Int = Fuzzer.inputs(), _ body: (inout Fuzzer) throws -> Void) rethrows {
        var fuzzer = Fuzzer(seed: seed)
        let started = ContinuousClock.now
        for _ in 0..<count { try body(&fuzzer) }
        print("fuzz \(target): \(count) inputs in \(ContinuousClock.now - started)")
    }

    @Test("JSON nested deeper than JSON.maxDepth is refused before decoding, whose cost grows with the square of the depth")
    func jsonDepth() throws {
        #expect(try JSON.parse(bytes: Fuzzer.deepNesting(JSON.maxDepth)) != .null)
        #expect(throws: JSON.TooDeep.self) { try JSON.parse(bytes: Fuzzer.deepNesting(JSON.maxDepth + 1)) }
        let bracketed: JSON = ["a": .string(String(repeating: "[", count: 40) + "\"{{{{")]
        #expect(try JSON.parse(bytes: bracketed.serializedBytes()) == bracketed, "brackets inside strings do not count")
    }

    @Test("the webhook parsers (sandbox, SMS, WhatsApp Cloud, Twilio, Chatwoot, Outlook) take hostile payloads without a crash")
    func webhookParsers() throws {
        let fields: Set<String> = ["from", "to", "name", "text", "id"]
        for (name, seed, number) in [("sandbox", Self.sandbox, UInt64(1)), ("sms", Self.sms, 2)] {
            var accepted = 0
            try Self.run("\(name) body", seed: number) { fuzzer in
                guard var body = try? JSONBody.parse(try fuzzer.jsonInput(from: seed), allowed: fields) else { return }
                _ = body.string("from", required: true, maxLength: 254).map(PhoneNumber.e164)
                _ = (body.string("text", required: true, maxLength: 4096), body.string("id", maxLength: 200), body.string("name", maxLength: 200))
                if (try? body.finish()) != nil { accepted += 1 }
            }
            #expect(accepted > 0, "some mutations stay valid, so the field checks ran")
        }
        var messages = 0
        try Self.run("whatsapp payload", seed: 3) { fuzzer in
            guard let payload = try? JSON.parse(bytes: try fuzzer.jsonInput(from: fuzzer.below(2) == 0 ? Self.whatsApp : Self.whatsAppStatus)) else { return }
            for change in WhatsAppWebhook.changes(payload) {
                messages += WhatsAppWebhook.messages(change).count
                _ = WhatsAppWebhook.statuses(change)
            }
        }
        #expect(messages > 0)
        try Self.run("twilio form", seed: 4) { fuzzer in
            let text = String(decoding: fuzzer.textInput(from: fuzzer.below(2) == 0 ? Self.twilio : Self.twilioStatus), as: UTF8.self)
            let params = FormEncoding.decode(text)
            let values = Dictionary(params, uniquingKeysWith: { first, _ in first })
            _ = TwilioWebhook.message(values)
            _ = values["MessageStatus"].flatMap { TwilioWebhook.receipt(values, status: $0) }
            _ = TwilioWebhook.signatureCandidates(url: String(decoding: fuzzer.mutateBytes(Array(Self.twilioURL.utf8)), as: UTF8.self), params: params, token: "t")
        }
        try Self.run("chatwoot event", seed: 5) { fuzzer in
            guard let payload = try? JSON.parse(bytes: try fuzzer.jsonInput(from: Self.chatwoot)) else { return }
            _ = (ChatwootWebhook.accountID(payload), ChatwootWebhook.message(payload), ChatwootWebhook.opening(payload))
        }
        let host = try Self.host()
        let tenant = try #require(host.registry.tenant(slug: "fz"))
        try Self.run("outlook notifications", seed: 6, count: Fuzzer.inputs(default: 1_000)) { fuzzer in
            guard let items = (try? JSON.parse(bytes: try fuzzer.jsonInput(from: Self.outlook)))?["value"]?.arrayValue else { return }
            _ = try OutlookWebhook.accept(items, candidates: [tenant], chosen: nil, origin: [:], services: host.services)
        }
    }

    @Test("the manifest loader reports hostile YAML as issues, never a crash")
    func manifestLoader() throws {
        let host = try Self.host()
        let validator = ManifestValidator(catalog: host.registry.catalog, takenDomains: [:])
        var refused = 0
        try Self.run("manifest yaml", seed: 7, count: Fuzzer.inputs(default: 1_500)) { fuzzer in
            let yaml = String(decoding: fuzzer.textInput(from: Self.manifestYAML), as: UTF8.self)
            do { _ = try validator.validate(yaml: yaml) } catch is ManifestValidationError { refused += 1 }
        }
        #expect(refused > 0)
    }

    @Test("CSV records split any bytes into records that cover the input in order")
    func csvRecords() {
        Self.run("csv records", seed: 8) { fuzzer in
            let bytes = fuzzer.textInput(from: Self.csv)
            let records = CSVRecords.split(bytes)
            #expect(records.map(\.line) == records.map(\.line).sorted())
            #expect(records.allSatisfy { $0.bytes.endIndex <= bytes.count && !$0.bytes.isEmpty })
        }
    }

    @Test("automation rules: hostile rule JSON is refused with issues; conditions evaluate over hostile values")
    func automationConditions() {
        var parsed = 0
        Self.run("automation rule", seed: 9) { fuzzer in
            guard let json = try? JSON.parse(bytes: (try? fuzzer.jsonInput(from: Self.rule)) ?? []) else { return }
            let (rule, issues) = AutomationRule.parse(json, path: "rule", id: "r", source: "api")
            guard let rule else { #expect(!issues.isEmpty); return }
            parsed += 1
            let attributes = Dictionary(uniqueKeysWithValues: ["age", fuzzer.pick(Fuzzer.hostileStrings)].map { ($0, fuzzer.hostileJSON()) })
            let contact = Contact(
                id: "c", name: fuzzer.pick(Fuzzer.hostileStrings), phone: nil, email: fuzzer.pick(Fuzzer.hostileStrings),
                attributes: attributes, labels: [fuzzer.pick(["vip", "", "\0"])], createdAt: 0, updatedAt: 0)
            _ = ConditionEvaluator.matches(rule.conditions, AutomationSubject(contact: contact, messageContent: fuzzer.pick(Fuzzer.hostileStrings)))
        }
        #expect(parsed > 0)
    }

    // MARK: through the router

    /// Sends `count` generated requests; every answer must be below 500, and a 4xx must be problem+json.
    static func flood(
        _ target: String, seed: UInt64, count: Int = Fuzzer.requests(),
        _ send: (inout Fuzzer) async throws -> (status: HTTPResponse.Status, contentType: String?)
    ) async throws {
        var fuzzer = Fuzzer(seed: seed)
        var bad: [String] = []
        var statuses: [Int: Int] = [:]
        for index in 0..<count {
            let (status, type) = try await send(&fuzzer)
            statuses[status.code, default: 0] += 1
            if status.code >= 500 || (status.code >= 400 && type?.hasPrefix("application/problem+json") != true) {
                bad.append("#\(index): \(status.code) \(type ?? "-")")
            }
        }
        print("fuzz \(target) via router: \(count) requests, statuses \(statuses.sorted { $0.key < $1.key })")
        #expect(bad.isEmpty, "\(target): \(bad.prefix(5))")
    }

    static func sign(_ body: [UInt8], _ secret: String) -> String {
        "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: body))
    }

    @Test("every webhook route answers signed hostile bodies below 500, a 4xx as problem+json")
    func webhookRoutes() async throws {
        let host = try Self.host()
        try await host.buildApplication().test(.router) { client in
            func post(_ path: String, _ body: [UInt8], _ headers: HTTPFields = [:], type: String = "application/json") async throws -> (HTTPResponse.Status, String?) {
                var headers = headers
                headers[.init("Host")!] = "fz.localhost"
                headers[.contentType] = type
                return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body)) { ($0.status, $0.headers[.contentType]) }
            }
            try await Self.flood("sandbox", seed: 11) { try await post("/webhooks/sandbox", try $0.jsonInput(from: Self.sandbox)) }
            try await Self.flood("sms", seed: 12) { fuzzer in
                let body = try fuzzer.jsonInput(from: Self.sms)
                return try await post("/webhooks/sms", body, [.xSignature: Self.sign(body, Self.smsSecret)])
            }
            try await Self.flood("whatsapp", seed: 13) { fuzzer in
                let body = try fuzzer.jsonInput(from: fuzzer.below(2) == 0 ? Self.whatsApp : Self.whatsAppStatus)
                return try await post("/webhooks/whatsapp", body, [.xHubSignature256: Self.sign(body, Self.appSecret)])
            }
            try await Self.flood("twilio", seed: 14) { fuzzer in
                let body = fuzzer.textInput(from: fuzzer.below(2) == 0 ? Self.twilio : Self.twilioStatus)
                let signature = TwilioWebhook.signature(url: Self.twilioURL, params: FormEncoding.decode(String(decoding: body, as: UTF8.self)), token: Self.authToken)
                return try await post("/webhooks/twilio", body, [.xTwilioSignature: signature], type: "application/x-www-form-urlencoded")
            }
            try await Self.flood("chatwoot", seed: 15) { try await post("/webhooks/chatwoot?token=\(Self.chatwootToken)", try $0.jsonInput(from: Self.chatwoot)) }
            try await Self.flood("outlook", seed: 16) { try await post("/webhooks/outlook", try $0.jsonInput(from: Self.outlook)) }
            let api = APIClient(client: client, host: "fz.localhost", token: try host.token("fz", role: "admin"))
            try await Self.flood("automation rules", seed: 17) { fuzzer in
                let reply = try await api.send(.post, "/api/v1/automation_rules", raw: ByteBuffer(bytes: try fuzzer.jsonInput(from: Self.rule)), contentType: "application/json")
                return (reply.status, reply.headers[.contentType])
            }
            let admin = APIClient(client: client, host: "platform.localhost", token: "test-admin-token")
            try await Self.flood("admin manifest", seed: 18, count: Fuzzer.requests(default: 150)) { fuzzer in
                let reply = try await admin.send(.post, "/admin/v1/tenants", raw: ByteBuffer(bytes: fuzzer.textInput(from: Self.manifestYAML)), contentType: "application/yaml")
                return (reply.status, reply.headers[.contentType])
            }
        }
    }

    @Test("the MrDJCRM CSV import answers hostile files below 500, a 4xx as problem+json")
    func csvImportRoute() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                try await Self.flood("crm csv import", seed: 19, count: Fuzzer.requests(default: 150)) { fuzzer in
                    let reply = try await sales.send(.post, "/api/crm/import", raw: ByteBuffer(bytes: fuzzer.textInput(from: "email;naam;telefoon\r\n" + Self.csv)), contentType: "text/csv")
                    return (reply.status, reply.headers[.contentType])
                }
            }
        }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// A LeadQualifier tenant on a fresh host: WhatsApp against a fake Graph API on 127.0.0.1 that records
/// every send, a fake CRM webhook and chat-completions endpoint on the same server, the demo knowledge
/// files, and a scheduler driven by hand on a test clock.
final class LeadQualifierHarness: @unchecked Sendable {
    static let optinSecret = "optin-test-secret"

    /// How the fake CRM and model answer; tests change it between steps.
    struct Behaviour: Sendable {
        var crmFailures = 0
        var crmDelayFirst = false
        var chatReply = "Der Bot ist in der Regel innerhalb von 14 Tagen live [faq.md]."
    }

    let host: SwitchboardHost
    let server: FakeProviderServer
    let clock: TestClock
    let scheduler: SchedulerService
    let behaviour: Shared<Behaviour>
    let token: String

    private init(host: SwitchboardHost, server: FakeProviderServer, clock: TestClock, behaviour: Shared<Behaviour>) throws {
        self.host = host
        self.server = server
        self.clock = clock
        self.behaviour = behaviour
        scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test", now: { clock.now })
        token = try host.token("lq", role: "admin")
    }

    /// `config` is appended to the plugin's config block (6-space indented YAML lines).
    static func start(config: String = "", messaging: String = "\"00:00-23:59\"", withLLM: Bool = false) async throws -> LeadQualifierHarness {
        let behaviour = Shared(Behaviour())
        let sends = ChannelTests.Counter()
        let crmCalls = ChannelTests.Counter()
        let server = try await FakeProviderServer.start { router in
            router.post("/v21.0/\(ChannelTests.phoneNumberID)/messages") { _, _ in
                #"{"messaging_product":"whatsapp","messages":[{"id":"wamid.OUT\#(sends.next())"}]}"#
            }
            router.post("/crm") { _, _ -> Response in
                let call = crmCalls.next()
                if behaviour.value.crmDelayFirst, call == 1 { try await Task.sleep(for: .seconds(2)) }
                if behaviour.value.crmFailures > 0 {
                    behaviour.value.crmFailures -= 1
                    return Response(status: .serviceUnavailable)
                }
                return Response(status: .ok)
            }
            router.post("/v1/chat/completions") { _, _ -> Response in
                let body = try JSON.object(["choices": [["message": ["role": "assistant", "content": .string(behaviour.value.chatReply)]]]]).serialized()
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
        let refs = ChannelTests.secrets(["optin": optinSecret, "crm": "crm-secret", "llm": "sk-test"])
        let llm = withLLM ? """

                    llm:
                      url: \(server.baseURL)/v1/chat/completions
                      api_key: \(refs["llm"]!)
                      model: test-model
            """ : ""
        let extra = """
            messaging:
              allowed_hours: \(messaging)
            egress: ["127.0.0.1:\(server.port)"]
            plugins:
              - id: leadqualifier
                config:
                  reply_delay_seconds: 0
                  optin_secret: \(refs["optin"]!)
                  resource_link: https://example.com/leitfaden
                  crm: {url: "\(server.baseURL)/crm", secret: \(refs["crm"]!), timeout_ms: 500}
                  calendar: {hours: "09:00-17:00", days: [mon, tue, wed, thu, fri], min_lead_hours: 24, meeting_link: "https://meet.example.com/lq"}
                  knowledge:
                    folder: knowledge\(llm)
            \(config)
            """
        let (yaml, _) = ChannelTests.tenant(graph: server.baseURL, extra: extra)
        let host = try TestEnvironment.host(manifests: ["lq": yaml], configure: { $0.scheduler.enabled = false })
        let knowledge = URL(fileURLWithPath: try #require(host.configuration.tenantsDirectory)).appendingPathComponent("lq/knowledge")
        try FileManager.default.createDirectory(at: knowledge, withIntermediateDirectories: true)
        let demo = TestEnvironment.repositoryRoot.appendingPathComponent("tenants/leadqualifier/knowledge")
        for name in try FileManager.default.contentsOfDirectory(atPath: demo.path) {
            try FileManager.default.copyItem(at: demo.appendingPathComponent(name), to: knowledge.appendingPathComponent(name))
        }
        return try LeadQualifierHarness(host: host, server: server, clock: TestClock(), behaviour: behaviour)
    }

    func stop() async { await server.stop() }

    /// Starts a harness, runs `body` against its application, and stops the fake provider afterwards,
    /// whether or not `body` throws.
    static func run(
        config: String = "", messaging: String = "\"00:00-23:59\"", withLLM: Bool = false,
        _ body: @escaping @Sendable (LeadQualifierHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        let lq = try await start(config: config, messaging: messaging, withLLM: withLLM)
        do {
            try await lq.host.buildApplication().test(.router) { client in try await body(lq, client) }
        } catch {
            await lq.stop()
            throw error
        }
        await lq.stop()
    }

    /// Runs every due job at the test clock, first catching it up with real time (the host stamps jobs with it).
    func settle(advancing duration: Duration = .zero, rounds: Int = 50) async {
        clock.advance(to: Clock.nowMillis() + duration.inMilliseconds)
        for _ in 0..<rounds where await scheduler.runDue(limit: 20) > 0 {}
    }

    /// Runs jobs and moves the clock an hour at a time past any retry backoff.
    func drainWithBackoff(rounds: Int = 30) async {
        for _ in 0..<rounds {
            if await scheduler.runDue(limit: 20) == 0 {
                clock.advance(by: .seconds(3600))
                if await scheduler.runDue(limit: 20) == 0 { return }
            }
        }
    }

    /// The texts and template names the fake Graph API received, in order.
    var whatsAppSends: [String] {
        server.requests.filter { $0.path.hasSuffix("/messages") }.map { request in
            let json = (try? JSON.parse(request.body)) ?? .null
            return json["text"]?["body"]?.stringValue ?? json["template"]?["name"]?.stringValue.map { "template:\($0)" } ?? request.body
        }
    }

    var crmPosts: [JSON] {
        server.requests.filter { $0.path == "/crm" }.compactMap { try? JSON.parse($0.body) }
    }

    // MARK: Driving it through HTTP

    func optIn(_ client: some TestClientProtocol, phone: String = "+16505551234", name: String = "Anna Schmidt", secret: String = optinSecret) async throws -> APIClient.Reply {
        let body = #"{"name":"\#(name)","phone":"\#(phone)","consent_source":"landingpage","consent_text_version":"v3","consent_timestamp":"2026-11-23T09:00:00Z"}"#
        let signature = "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: Array(body.utf8)))
        return try await client.execute(
            uri: "/api/leadqualifier/optin", method: .post,
            headers: [.init("Host")!: "lq.localhost", .init("X-Signature")!: signature, .contentType: "application/json"],
            body: ByteBuffer(string: body)
        ) { response in
            let text = String(buffer: response.body)
            return APIClient.Reply(status: response.status, headers: response.headers, json: (try? JSON.parse(text)) ?? .null, text: text)
        }
    }

    private var messageCounter = ChannelTests.Counter()

    /// A signed WhatsApp webhook carrying `text` from the lead, then every job it causes.
    @discardableResult
    func inbound(_ client: some TestClientProtocol, _ text: String, id: String? = nil, from: String = "16505551234") async throws -> HTTPResponse.Status {
        let body = ChannelTests.whatsAppMessage(id: id ?? "wamid.IN\(messageCounter.next())", from: from, text: text)
        let status = try await client.execute(
            uri: "/webhooks/whatsapp", method: .post,
            headers: [.init("Host")!: "platform.example", .init("X-Hub-Signature-256")!: ChannelTests.signedWhatsApp(body), .contentType: "application/json"],
            body: ByteBuffer(string: body)) { $0.status }
        await settle()
        return status
    }

    func api(_ client: some TestClientProtocol) -> APIClient { APIClient(client: client, host: "lq.localhost", token: token) }

    /// The contact's conversation as the core API shows it.
    func conversation(_ contactID: String) throws -> Conversation? {
        try host.services.conversations.list(tenantID: "lq", filter: ["contact_id": contactID], page: PageRequest(limit: 5)).data.first
    }

    func contactID(phone: String = "+16505551234") throws -> String {
        try #require(try host.services.contacts.find(tenantID: "lq", .phone(phone))).id
    }

    func jobs(kind: String = "send_template", status: String? = nil) throws -> [JobRecord] {
        try host.services.jobs.list(tenantID: "lq", pluginID: "leadqualifier", status: status, kind: kind)
    }
}

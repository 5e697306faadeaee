import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// A LeadQualifier tenant on a fresh host: WhatsApp against a fake Graph API on 127.0.0.1 that records
/// every send, a fake CRM webhook and chat-completions endpoint on the same fake provider, the demo knowledge
/// files, and a scheduler driven by hand on a test clock.
final class LeadQualifierHarness: @unchecked Sendable {
    static let optinSecret = "optin-test-secret"
    static let crmSecret = "crm-secret"
    /// Seconds a bot reply waits in these tests: the smallest delay seed 002 §7 allows.
    static let replyDelaySeconds: Int64 = 30

    /// How the fake Graph API, CRM and model answer; tests change it between steps.
    struct Behaviour: Sendable {
        var crmFailures = 0
        var crmDelayFirst = false
        /// Graph sends answered 503 before one succeeds.
        var graphFailures = 0
        /// The first Graph send answers only after the host's provider timeout.
        var graphDelayFirst = false
        var chatReply = "Der Bot ist in der Regel innerhalb von 14 Tagen live [faq.md]."
    }

    let host: SwitchboardHost
    let server: FakeProvider
    let clock: TestClock
    let scheduler: SchedulerService
    let behaviour: Shared<Behaviour>
    let token: String
    /// How many due jobs one scheduler round claims (and runs at once).
    var batch = 20

    /// A harness on a host already serving the `lq` tenant.
    init(host: SwitchboardHost, server: FakeProvider, behaviour: Shared<Behaviour>) throws {
        self.host = host
        self.server = server
        self.behaviour = behaviour
        let clock = TestClock()
        self.clock = clock
        scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test", now: { clock.now })
        token = try host.token("lq", role: "admin")
        let knowledge = URL(fileURLWithPath: try #require(host.configuration.tenantsDirectory)).appendingPathComponent("lq/knowledge")
        guard !FileManager.default.fileExists(atPath: knowledge.path) else { return }
        try FileManager.default.createDirectory(at: knowledge, withIntermediateDirectories: true)
        let demo = TestEnvironment.repositoryRoot.appendingPathComponent("tenants/leadqualifier/knowledge")
        for name in try FileManager.default.contentsOfDirectory(atPath: demo.path) {
            try FileManager.default.copyItem(at: demo.appendingPathComponent(name), to: knowledge.appendingPathComponent(name))
        }
    }

    /// The fake provider's routes: Graph's messages endpoint, the CRM webhook and a chat-completions endpoint.
    static func routes(_ router: Router<BasicRequestContext>, _ behaviour: Shared<Behaviour>) {
        let sends = ChannelTests.Counter()
        let crmCalls = ChannelTests.Counter()
        router.post("/v21.0/\(ChannelTests.phoneNumberID)/messages") { _, _ -> Response in
            let call = sends.next()
            if behaviour.value.graphDelayFirst, call == 1 { try await Task.sleep(for: .seconds(5)) }
            if behaviour.value.graphFailures > 0 {
                behaviour.value.graphFailures -= 1
                return try fakeJSON(["error": ["message": "Service temporarily unavailable", "code": 2]], status: .serviceUnavailable)
            }
            return try fakeJSON(["messaging_product": "whatsapp", "messages": [["id": .string("wamid.OUT\(call)")]]])
        }
        router.post("/crm") { _, _ -> Response in
            let call = crmCalls.next()
            if behaviour.value.crmDelayFirst, call == 1 { try await Task.sleep(for: .seconds(5)) }
            if behaviour.value.crmFailures > 0 {
                behaviour.value.crmFailures -= 1
                return Response(status: .serviceUnavailable)
            }
            return Response(status: .ok)
        }
        router.post("/v1/chat/completions") { _, _ -> Response in
            try fakeJSON(["choices": [["message": ["role": "assistant", "content": .string(behaviour.value.chatReply)]]]])
        }
    }

    /// The `lq` tenant's manifest. `config` is appended to the plugin's config block (6-space indented YAML
    /// lines); `crm` replaces the fake CRM webhook (a YAML flow mapping); `egress` adds hosts.
    static func manifest(
        server: FakeProvider, config: String = "", messaging: String = "\"00:00-24:00\"", replyHours: String = "00:00-24:00",
        withLLM: Bool = false, crm: String? = nil, egress: [String] = []
    ) -> String {
        let refs = ChannelTests.secrets(["optin": optinSecret, "crm": crmSecret, "llm": "sk-test"])
        let llm = withLLM ? """

                    llm:
                      url: \(server.baseURL)/v1/chat/completions
                      api_key: \(refs["llm"]!)
                      model: test-model
            """ : ""
        let hosts = (["127.0.0.1:\(server.port)"] + egress).map { "\"\($0)\"" }.joined(separator: ", ")
        let extra = """
            messaging:
              allowed_hours: \(messaging)
            egress: [\(hosts)]
            plugins:
              - id: leadqualifier
                config:
                  reply_hours: "\(replyHours)"
                  optin_secret: \(refs["optin"]!)
                  resource_link: https://example.com/leitfaden
                  crm: \(crm ?? "{url: \"\(server.baseURL)/crm\", secret: \(refs["crm"]!), timeout_ms: 2000}")
                  calendar: {hours: "09:00-17:00", days: [mon, tue, wed, thu, fri], min_lead_hours: 24, meeting_link: "https://meet.example.com/lq"}
                  knowledge:
                    folder: knowledge\(llm)
            \(config)
            """
        return ChannelTests.tenant(graph: server.baseURL, extra: extra).0
    }

    /// Runs `body` against a fresh LeadQualifier host on a database of `driver`, and its application; the fake
    /// provider is shut down afterwards, whether or not `body` throws.
    static func run(
        driver: StorageDriver = .sqlite, config: String = "", messaging: String = "\"00:00-24:00\"", replyHours: String = "00:00-24:00",
        withLLM: Bool = false, _ body: @escaping @Sendable (LeadQualifierHarness, any TestClientProtocol) async throws -> Void
    ) async throws {
        let behaviour = Shared(Behaviour())
        try await FakeProvider.run(routes: { routes($0, behaviour) }) { server in
            let yaml = manifest(server: server, config: config, messaging: messaging, replyHours: replyHours, withLLM: withLLM)
            try await driver.withHost(manifests: ["lq": yaml], configure: { $0.providerTimeoutMillis = 2000 }) { host in
                let lq = try LeadQualifierHarness(host: host, server: server, behaviour: behaviour)
                try await host.buildApplication().test(.router) { client in try await body(lq, client) }
            }
        }
    }

    /// Runs every due job at the test clock, first catching it up with real time (the host stamps jobs with it).
    func settle(advancing duration: Duration = .zero, rounds: Int = 50) async {
        clock.advance(to: Clock.nowMillis() + duration.inMilliseconds)
        for _ in 0..<rounds where await scheduler.runDue(limit: batch) > 0 {}
    }

    /// Runs jobs and moves the clock an hour at a time past any retry backoff.
    func drainWithBackoff(rounds: Int = 30) async {
        for _ in 0..<rounds {
            if await scheduler.runDue(limit: batch) == 0 {
                clock.advance(by: .seconds(3600))
                if await scheduler.runDue(limit: batch) == 0 { return }
            }
        }
    }

    /// The texts and template names the fake Graph API received, in order.
    var whatsAppSends: [String] {
        server.requests("POST", "/v21.0/").map { request in
            let json = request.json
            return json["text"]?["body"]?.stringValue ?? json["template"]?["name"]?.stringValue.map { "template:\($0)" } ?? request.text
        }
    }

    var crmPosts: [JSON] { server.requests("POST", "/crm").map(\.json) }

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

    /// A signed WhatsApp webhook carrying `text` from the lead, then every job due within `settling`: by default
    /// the bot's reply, which waits the reply delay.
    @discardableResult
    func inbound(
        _ client: some TestClientProtocol, _ text: String, id: String? = nil, from: String = "16505551234",
        settling: Duration = .seconds(replyDelaySeconds + 1)
    ) async throws -> HTTPResponse.Status {
        let body = ChannelTests.whatsAppMessage(id: id ?? "wamid.IN\(messageCounter.next())", from: from, text: text)
        let status = try await client.execute(
            uri: "/webhooks/whatsapp", method: .post,
            headers: [.init("Host")!: "platform.example", .init("X-Hub-Signature-256")!: ChannelTests.signedWhatsApp(body), .contentType: "application/json"],
            body: ByteBuffer(string: body)) { $0.status }
        await settle(advancing: settling)
        return status
    }

    func api(_ client: some TestClientProtocol) -> APIClient { APIClient(client: client, host: "lq.localhost", token: token) }

    /// A lead who opted in, had the welcome and answered "ja": their contact id.
    func agreedLead(_ client: some TestClientProtocol) async throws -> String {
        _ = try await optIn(client)
        await settle(advancing: .seconds(6 * 60))
        try await inbound(client, "ja")
        return try contactID()
    }

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

    /// The host's delivery jobs of outbound messages (`run_at` is the message's send time).
    func deliveries(status: String? = nil) throws -> [JobRecord] {
        try host.services.jobs.list(tenantID: "lq", pluginID: nil, status: status, kind: Outbound.deliverKind)
    }

    /// Hour and minute of `millis` in the tenant's time zone, Europe/Berlin.
    static func berlin(_ millis: Int64) -> DateComponents {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Berlin")!
        return calendar.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}

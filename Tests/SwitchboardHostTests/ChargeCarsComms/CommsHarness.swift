import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// A ChargeCarsComms tenant (`lq.localhost` and `localhost`) with WhatsApp and Outlook against fake Graph APIs,
/// two teams, a split business day with Christmas 2026 as a holiday, and a scheduler driven by hand on a test clock.
final class CommsHarness: @unchecked Sendable {
    let host: SwitchboardHost
    let server: FakeProvider
    let clock = TestClock()
    let scheduler: SchedulerService
    let token: String

    static func config(periods: String) -> String {
        """
        messaging:
          allowed_hours: "00:00-24:00"
        egress: ["127.0.0.1"]
        plugins:
          - id: chargecars-comms
            config:
              business_hours:
                periods: \(periods)
                holidays: ["2026-12-25"]
              business_entities: {chargecars: {name: ChargeCars, signature: "Team ChargeCars"}}
              sla: {email_hours: 4, whatsapp_hours: 1, escalated_minutes: 30, executive_after_hours: 24}
              thread_keywords: {technical_issue: [storing, "werkt niet"], sales_inquiry: [offerte]}
              skill_keywords: {zaptec: zaptec}
              teams:
                customer_service: {lead: cs-lead, agents: [{id: sarah, capacity: 1, email: sarah@chargecars.example}, {id: tom, capacity: 1}]}
                technical: {lead: tech-lead, agents: [{id: alex, capacity: 3}, {id: zoe, capacity: 3, skills: [zaptec]}]}
              escalation: {manager: support-manager, executive: ceo}
        """
    }

    static let splitDay = #"{mon: ["08:00-12:00", "13:00-17:00"], tue: ["08:00-12:00", "13:00-17:00"], wed: ["08:00-12:00", "13:00-17:00"], thu: ["08:00-12:00", "13:00-17:00"], fri: ["08:00-12:00", "13:00-17:00"]}"#

    /// Open at every hour of every day: no auto-responses, and business time is wall time.
    static let allDay = #"{sun: ["00:00-24:00"], mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"]}"#

    /// Runs `body` against a harness whose fake Graph APIs are shut down when it returns, on a fresh database of
    /// `driver`. `others` are more tenants' manifests, by file name; `periods` the business hours (`{}`: always
    /// closed); `mails` the Graph messages the fake Outlook serves by id; `routes` adds more fake provider routes.
    static func run<T>(
        driver: StorageDriver = .sqlite, others: [String: String] = [:], periods: String = splitDay, mails: [String: JSON] = [:],
        routes: (Router<BasicRequestContext>) -> Void = { _ in }, _ body: (CommsHarness) async throws -> T
    ) async throws -> T {
        let sends = ChannelTests.Counter()
        return try await FakeProvider.run(routes: { router in
            OutlookChannelTests.graph(messages: mails)(router)
            router.post("/v21.0/\(ChannelTests.phoneNumberID)/messages") { _, _ in
                #"{"messaging_product":"whatsapp","messages":[{"id":"wamid.OUT\#(sends.next())"}]}"#
            }
            routes(router)
        }) { server in
            var result: T?
            try await driver.withHost(manifests: others.merging(["lq": manifest(server: server, periods: periods)]) { $1 }) { host in
                result = try await body(try CommsHarness(server: server, host: host))
            }
            return try #require(result)
        }
    }

    /// The ChargeCars tenant's manifest, its providers at `server`.
    private static func manifest(server: FakeProvider, periods: String) -> String {
        var key = [UInt8](repeating: 0, count: 32)
        for index in key.indices { key[index] = UInt8(index) }
        SecretEnvironment.set("SWITCHBOARD_MASTER_KEY", Data(key).base64EncodedString())
        let outlook = """
            channels:
              outlook:
                tenant_id: dir-1
                client_id: app-1
                client_secret: env:\(uniqueSecret("graph-secret"))
                mailbox: \(OutlookChannelTests.mailbox)
                client_state: env:\(uniqueSecret("state"))
                graph_base: \(server.baseURL)/v1.0
                login_base: \(server.baseURL)
            """
        let yaml = ChannelTests.tenant(graph: server.baseURL, extra: Self.config(periods: periods))
            .0.replacingOccurrences(of: "channels:", with: outlook)
        // `localhost` too, so a WebSocket client (whose Host header is the URL's) reaches this tenant.
        return yaml.replacingOccurrences(of: "domains: [lq.localhost]", with: "domains: [lq.localhost, localhost]")
    }

    private init(server: FakeProvider, host: SwitchboardHost) throws {
        self.server = server
        self.host = host
        let clock = clock
        scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test", now: { clock.now })
        token = try host.token("lq", role: "admin")
    }

    /// Moves the test clock to `time` (never back) and runs every job then due.
    func run(until time: Date) async {
        clock.advance(to: max(Clock.nowMillis(), Int64(time.timeIntervalSince1970 * 1000)))
        for _ in 0..<20 where await scheduler.runDue(limit: 20) > 0 {}
    }

    /// Runs every job due by now and those they cause, the test clock catching up each round with the real time the
    /// host stamps new jobs with.
    func settle() async {
        for _ in 0..<20 {
            clock.advance(to: Clock.nowMillis())
            guard await scheduler.runDue(limit: 20) > 0 else { return }
        }
    }

    /// A signed WhatsApp webhook from `from`, then the dispatch jobs it causes.
    func whatsApp(_ client: some TestClientProtocol, _ text: String, id: String, from: String = "31612345678") async throws {
        try await whatsAppWebhook(client, ChannelTests.whatsAppMessage(id: id, from: from, text: text))
    }

    /// A signed WhatsApp webhook with this body, then the dispatch jobs it causes.
    func whatsAppWebhook(_ client: some TestClientProtocol, _ body: String) async throws {
        let status = try await client.execute(
            uri: "/webhooks/whatsapp", method: .post,
            headers: [.init("Host")!: "platform.example", .init("X-Hub-Signature-256")!: ChannelTests.signedWhatsApp(body), .contentType: "application/json"],
            body: ByteBuffer(string: body)) { $0.status }
        #expect(status == .ok)
        await run(until: Date())
    }

    /// A signed WhatsApp webhook of delivery receipts (provider message id, status, provider time in epoch seconds,
    /// the error of a failure), then the jobs they cause.
    func whatsAppStatuses(_ client: some TestClientProtocol, _ statuses: [(id: String, status: String, at: Int64, error: (code: Int, title: String)?)]) async throws {
        let items = statuses.map { status in
            let error = status.error.map { #","errors":[{"code":\#($0.code),"title":"\#($0.title)"}]"# } ?? ""
            return #"{"id":"\#(status.id)","status":"\#(status.status)","timestamp":"\#(status.at)","recipient_id":"31612345678"\#(error)}"#
        }
        try await whatsAppWebhook(client, """
            {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{"messaging_product":"whatsapp",\
            "metadata":{"phone_number_id":"\(ChannelTests.phoneNumberID)"},"statuses":[\(items.joined(separator: ","))]},"field":"messages"}]}]}
            """)
    }

    /// Graph mail `id` fetched as the Outlook notification job does, then the dispatch jobs it causes.
    func outlook(_ id: String) async throws {
        let tenant = try #require(host.registry.tenant(slug: "lq")), services = host.services
        try await OutlookFetchJob().run(payload: ["message_id": .string(id)], tenant: tenant, services: services)
        await run(until: Date())
    }

    /// What the fake providers received: WhatsApp texts and Outlook sends.
    var whatsAppTexts: [String] {
        server.requests.filter { $0.path.hasSuffix("/messages") && $0.method == "POST" }.compactMap { $0.json["text"]?["body"]?.stringValue }
    }

    var mailSends: [JSON] {
        server.requests.filter { $0.path.hasSuffix("/sendMail") || $0.path.hasSuffix("/reply") }.map(\.json)
    }

    func api(_ client: some TestClientProtocol) -> APIClient { APIClient(client: client, host: "lq.localhost", token: token) }

    /// The pending SLA steps of a thread, by step name, with their run times.
    func pendingSteps(_ threadID: String) throws -> [String: Int64] {
        var steps: [String: Int64] = [:]
        for job in try host.services.jobs.list(tenantID: "lq", pluginID: "chargecars-comms", status: "pending", kind: "sla_step")
        where job.payload["thread_id"]?.stringValue == threadID {
            steps[job.payload["step"]?.stringValue ?? ""] = job.runAt
        }
        return steps
    }

    /// An Amsterdam wall-clock time.
    static func at(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Europe/Amsterdam")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    static func ms(_ text: String) -> Int64 { Int64(at(text).timeIntervalSince1970 * 1000) }
}

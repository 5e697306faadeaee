import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// A Mr. DJ tenant on a fresh host: email over a fake SMTP server, fake Mollie and Teams endpoints on one
/// fake provider server (all on 127.0.0.1), the shipped brochure, and a scheduler driven by hand.
final class MrDJHarness: @unchecked Sendable {
    static let formSecret = "form-test-secret"
    static let mollieKey = "test_mollie_key"

    let host: SwitchboardHost
    let smtp: FakeSMTPServer
    let server: FakeProviderServer
    let paymentStatus: Shared<String>
    let clock: TestClock
    let scheduler: SchedulerService

    private init(host: SwitchboardHost, smtp: FakeSMTPServer, server: FakeProviderServer, paymentStatus: Shared<String>) {
        self.host = host
        self.smtp = smtp
        self.server = server
        self.paymentStatus = paymentStatus
        clock = TestClock()
        scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test", now: { [clock] in clock.now })
    }

    static func start() async throws -> MrDJHarness {
        let smtp = try FakeSMTPServer()
        let status = Shared("open")
        let server = try await FakeProviderServer.start { router in
            router.post("/v2/payments") { _, _ in
                #"{"id":"tr_test1","status":"open","_links":{"checkout":{"href":"https://www.mollie.com/checkout/test"}}}"#
            }
            router.get("/v2/payments/tr_test1") { _, _ in #"{"id":"tr_test1","status":"\#(status.value)"}"# }
            router.post("/teams") { _, _ in "1" }
        }
        let refs = ChannelTests.secrets(["form": formSecret, "mollie": mollieKey])
        let yaml = """
            slug: mrdj
            name: Mr. DJ
            domains: [mrdj.localhost]
            timezone: Europe/Amsterdam
            branding: {name: Mr. DJ, primary_color: "#111111", accent_color: "#d4af37"}
            messaging:
              allowed_hours: "00:00-23:59"
            channels:
              sandbox: {}
              smtp:
                url: smtp://127.0.0.1:\(smtp.port)
                from: "Mr. DJ <info@mr-dj.nl>"
            egress: ["127.0.0.1:\(server.port)"]
            plugins:
              - id: mrdj-crm
                config:
                  website_form_secret: \(refs["form"]!)
                  teams_webhook_url: \(server.baseURL)/teams
                  public_base_url: https://mr-dj.rentguy.nl
                  packages:
                    Gold:
                      crew: 2
                      equipment: [DJ-booth, lichtset]
                      items:
                        - {description: "DJ 5 uur", price: 745}
                        - {description: "Lichtshow", price: 150}
                  mollie: {base_url: "\(server.baseURL)", api_key: \(refs["mollie"]!), deposit: 250}
            """
        let host = try TestEnvironment.host(manifests: ["mrdj": yaml])
        let folder = URL(fileURLWithPath: try #require(host.configuration.tenantsDirectory)).appendingPathComponent("mrdj")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/mrdj/brochure.pdf"), to: folder.appendingPathComponent("brochure.pdf"))
        return MrDJHarness(host: host, smtp: smtp, server: server, paymentStatus: status)
    }

    func stop() async {
        smtp.stop()
        await server.stop()
    }

    /// Runs every due job (mail deliveries among them) at the test clock, caught up with real time plus `ahead`.
    func settle(ahead: Duration = .zero) async {
        clock.advance(to: Clock.nowMillis() + ahead.inMilliseconds)
        for _ in 0..<20 where await scheduler.runDue(limit: 20) > 0 {}
    }

    func api(_ client: some TestClientProtocol, role: String = "sales") throws -> APIClient {
        APIClient(client: client, host: "mrdj.localhost", token: try host.token("mrdj", role: role))
    }

    /// A signed website-form post.
    func form(_ client: some TestClientProtocol, _ body: String, contentType: String = "application/x-www-form-urlencoded", secret: String = formSecret) async throws -> APIClient.Reply {
        let signature = "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: Array(body.utf8)))
        return try await raw(client, "/hooks/mrdj/website-form", body, headers: [.init("X-Signature")!: signature, .contentType: contentType])
    }

    func raw(_ client: some TestClientProtocol, _ path: String, _ body: String, headers: HTTPFields = [:]) async throws -> APIClient.Reply {
        var headers = headers
        headers[.init("Host")!] = "mrdj.localhost"
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            let text = String(buffer: response.body)
            return APIClient.Reply(status: response.status, headers: response.headers, json: (try? JSON.parse(text)) ?? .null, text: text)
        }
    }

    /// A GET whose body is bytes: its content type and body.
    func download(_ client: some TestClientProtocol, _ path: String, token: String) async throws -> (String?, [UInt8]) {
        try await client.execute(uri: path, method: .get, headers: [.init("Host")!: "mrdj.localhost", .authorization: "Bearer \(token)"]) { response in
            (response.headers[.contentType], Array(buffer: response.body))
        }
    }

    func tasks(assignee: String) throws -> [TaskItem] {
        try host.services.tasks.list(tenantID: "mrdj", filter: ["assignee": assignee], page: PageRequest(limit: 100)).data
    }
}

/// One received mail's subject and its attachments (filename, content type, bytes).
struct ReceivedMail {
    struct File { let filename: String; let contentType: String; let data: [UInt8] }
    let subject: String
    let files: [File]

    init(_ data: String) {
        let (headers, body) = SMTPChannelTests.parse(data)
        subject = headers["subject"] ?? ""
        guard let type = headers["content-type"], type.hasPrefix("multipart/mixed") else {
            files = []
            return
        }
        let boundary = String(type.split(separator: "\"")[1])
        files = body.components(separatedBy: "--\(boundary)").dropFirst().compactMap { part in
            let (partHeaders, partBody) = SMTPChannelTests.parse(String(part.trimmingPrefix("\r\n")))
            guard let disposition = partHeaders["content-disposition"], disposition.hasPrefix("attachment") else { return nil }
            let filename = disposition.components(separatedBy: "filename=\"").last?.dropLast().description ?? ""
            let bytes = Data(base64Encoded: partBody.replacingOccurrences(of: "\r\n", with: "")).map(Array.init) ?? []
            return File(filename: filename, contentType: partHeaders["content-type"] ?? "", data: bytes)
        }
    }
}

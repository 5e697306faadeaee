import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// A Mr. DJ tenant on a fresh host: email over a fake SMTP server, fake Mollie, Teams, SMS gateway and RentGuy
/// endpoints on one fake provider server (all on 127.0.0.1), the shipped brochure and logo, and a scheduler
/// driven by hand.
final class MrDJHarness: @unchecked Sendable {
    static let formSecret = "form-test-secret"
    static let mollieKey = "test_mollie_key"
    static let rentGuySecret = "rentguy-test-secret"

    let host: SwitchboardHost
    let smtp: FakeSMTPServer
    let server: FakeProvider
    let paymentStatus: Shared<String>
    let clock: TestClock
    let scheduler: SchedulerService

    private init(host: SwitchboardHost, smtp: FakeSMTPServer, server: FakeProvider, paymentStatus: Shared<String>) {
        self.host = host
        self.smtp = smtp
        self.server = server
        self.paymentStatus = paymentStatus
        clock = TestClock()
        scheduler = SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test", now: { [clock] in clock.now })
    }

    /// Runs `body` against a fresh harness, then stops its fake servers.
    static func run<T>(_ body: (MrDJHarness) async throws -> T) async throws -> T {
        let smtp = try FakeSMTPServer()
        defer { smtp.stop() }
        let status = Shared("open")
        return try await FakeProvider.run(routes: { router in
            router.post("/v2/payments") { _, _ in
                #"{"id":"tr_test1","status":"open","_links":{"checkout":{"href":"https://www.mollie.com/checkout/test"}}}"#
            }
            router.get("/v2/payments/tr_test1") { _, _ in #"{"id":"tr_test1","status":"\#(status.value)"}"# }
            router.post("/teams") { _, _ in "1" }
            router.post("/sms") { _, _ in #"{"id":"gw-1","status":"queued"}"# }
            // RentGuy: the first push meets an outage (503); later ones are checked like RentGuy checks them.
            let pushes = Shared(0)
            router.post("/rentguy") { request, _ in
                var request = request
                let body = try await request.collectBody(upTo: 1 << 20)
                pushes.value += 1
                guard pushes.value > 1 else { throw HTTPError(.serviceUnavailable) }
                let timestamp = request.headers[HTTPField.Name("X-RentGuy-Timestamp")!] ?? ""
                let expected = "sha256=" + Crypto.hex(Crypto.hmacSHA256(key: Array(rentGuySecret.utf8), data: Array("\(timestamp).".utf8) + Array(buffer: body)))
                guard request.headers[HTTPField.Name("X-RentGuy-Signature")!] == expected else { throw HTTPError(.unauthorized) }
                return "ok"
            }
        }) { server in
            try await body(try harness(smtp: smtp, server: server, status: status))
        }
    }

    private static func harness(smtp: FakeSMTPServer, server: FakeProvider, status: Shared<String>) throws -> MrDJHarness {
        let refs = ChannelTests.secrets(["form": formSecret, "mollie": mollieKey, "rentguy": rentGuySecret, "sms": "sms-secret", "gateway": "gateway-token"])
        let yaml = """
            slug: mrdj
            name: Mr. DJ
            domains: [mrdj.localhost]
            timezone: Europe/Amsterdam
            branding: {name: Mr. DJ, primary_color: "#111111", accent_color: "#d4af37"}
            messaging:
              allowed_hours: "00:00-24:00"
            channels:
              sandbox: {}
              sms:
                secret: \(refs["sms"]!)
                from: "+3197010000000"
                api_url: \(server.baseURL)/sms
                api_token: \(refs["gateway"]!)
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
                  rentguy: {webhook_url: "\(server.baseURL)/rentguy", secret: \(refs["rentguy"]!)}
                  aftercare: {review_url: "https://example.com/review/mrdj", upsell_after_days: 30}
            """
        let host = try TestEnvironment.host(manifests: ["mrdj": yaml])
        let folder = URL(fileURLWithPath: try #require(host.configuration.tenantsDirectory)).appendingPathComponent("mrdj")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in ["brochure.pdf", "logo.png"] {
            try FileManager.default.copyItem(
                at: TestEnvironment.repositoryRoot.appendingPathComponent("tenants/mrdj/\(file)"), to: folder.appendingPathComponent(file))
        }
        return MrDJHarness(host: host, smtp: smtp, server: server, paymentStatus: status)
    }

    /// Runs every due job (mail deliveries among them) at the test clock, caught up with real time plus `ahead`.
    func settle(ahead: Duration = .zero) async {
        await settle(until: Clock.nowMillis() + ahead.inMilliseconds)
    }

    /// Runs every job due by `time` (epoch milliseconds) at the test clock set to that time.
    func settle(until time: Int64) async {
        clock.advance(to: time)
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

/// One received mail's subject, text and attachments (filename, content type, bytes).
struct ReceivedMail {
    struct File { let filename: String; let contentType: String; let data: [UInt8] }
    let subject: String
    let text: String
    let files: [File]

    init(_ data: String) {
        let (headers, body) = SMTPChannelTests.parse(data)
        subject = headers["subject"] ?? ""
        guard let type = headers["content-type"], type.hasPrefix("multipart/mixed") else {
            files = []
            text = Self.decoded(headers, body)
            return
        }
        let boundary = String(type.split(separator: "\"")[1])
        let parts = body.components(separatedBy: "--\(boundary)").dropFirst().map { SMTPChannelTests.parse(String($0.trimmingPrefix("\r\n"))) }
        text = parts.first { $0.0["content-type"]?.hasPrefix("text/plain") == true }.map { Self.decoded($0.0, $0.1) } ?? ""
        files = parts.compactMap { partHeaders, partBody in
            guard let disposition = partHeaders["content-disposition"], disposition.hasPrefix("attachment") else { return nil }
            let filename = disposition.components(separatedBy: "filename=\"").last?.dropLast().description ?? ""
            let bytes = Data(base64Encoded: partBody.replacingOccurrences(of: "\r\n", with: "")).map(Array.init) ?? []
            return File(filename: filename, contentType: partHeaders["content-type"] ?? "", data: bytes)
        }
    }

    private static func decoded(_ headers: [String: String], _ body: String) -> String {
        guard headers["content-transfer-encoding"] == "base64" else { return body }
        return Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")).map { String(decoding: $0, as: UTF8.self) } ?? body
    }
}

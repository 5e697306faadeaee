import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Tenancy by domain over HTTP")
struct TenancyHTTPTests {
    static let admin: HTTPFields = [.authorization: "Bearer test-admin-token"]

    /// The body as JSON, or `null` when it is not JSON (which the expectations then catch).
    private func json(_ buffer: ByteBuffer) -> JSON {
        (try? JSON.parse(bytes: Array(buffer.readableBytesView))) ?? .null
    }

    @Test("Host: mrdj.localhost reaches the MrDJ tenant and its plugin")
    func hostSelectsTenant() async throws {
        let host = try TestEnvironment.demoHost()
        try await host.buildApplication().test(.router) { client in
            try await client.execute(uri: "/api/v1/tenant", method: .get, headers: [.init("Host")!: "mrdj.localhost:8080"]) { response in
                #expect(response.status == .ok)
                let body = json(response.body)
                #expect(body["slug"] == "mrdj")
                #expect(body["name"] == "Mr. DJ")
                #expect(body["branding"]?["primary_color"] == "#111111")
                #expect(body["plugins"]?.arrayValue?.first?["id"] == "mrdj-crm")
            }
            try await client.execute(uri: "/api/v1/tenant", method: .get, headers: [.init("Host")!: "MR-DJ.rentguy.nl"]) { response in
                #expect(json(response.body)["slug"] == "mrdj")
            }
            try await client.execute(uri: "/api/v1/tenant", method: .get, headers: [.init("Host")!: "chargecars.localhost"]) { response in
                #expect(json(response.body)["slug"] == "chargecars")
            }
        }
    }

    @Test("an unknown host gets a 404 problem+json")
    func unknownHostIs404Problem() async throws {
        let host = try TestEnvironment.demoHost()
        try await host.buildApplication().test(.router) { client in
            try await client.execute(uri: "/api/v1/tenant", method: .get, headers: [.init("Host")!: "evil.example"]) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
                let body = json(response.body)
                #expect(body["status"] == .number(404))
                #expect(body["title"] == "Unknown tenant")
                #expect(body["detail"]?.stringValue?.contains("evil.example") == true)
            }
            // A known tenant with an unknown path is a problem too, never an empty body.
            try await client.execute(uri: "/api/v1/nothing-here", method: .get, headers: [.init("Host")!: "mrdj.localhost"]) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test("X-Forwarded-Host is ignored from a peer that is not a trusted proxy")
    func forwardedHostNeedsTrustedProxy() async throws {
        let host = try TestEnvironment.demoHost()
        try await host.buildApplication().test(.router) { client in
            try await client.execute(
                uri: "/api/v1/tenant", method: .get,
                headers: [.init("Host")!: "tutorbot.localhost", .init("X-Forwarded-Host")!: "mrdj.localhost"]
            ) { response in
                #expect(json(response.body)["slug"] == "tutorbot")
            }
        }
    }

    @Test("health and readiness answer on any host")
    func healthAndReadiness() async throws {
        let host = try TestEnvironment.demoHost()
        try await host.buildApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(json(response.body)["tenants"] == .number(4))
            }
        }
    }

    @Test("GET /metrics needs the admin token and counts requests by route and status, and jobs by kind and outcome")
    func metrics() async throws {
        let host = try TestEnvironment.demoHost()
        let kind = "metrics.\(UUID().uuidString.prefix(8).lowercased())"
        _ = try host.services.jobs.schedule(tenantID: "mrdj", pluginID: nil, kind: kind, runAt: 0, payload: [:], uniqueKey: nil, maxAttempts: 3)
        _ = await SchedulerService(registry: host.registry, settings: host.configuration.scheduler, workerID: "test").runDue(limit: 10)
        try await host.buildApplication().test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: Self.admin) { response in
                #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = String(buffer: response.body)
                let healthz = text.split(separator: "\n").first { $0.hasPrefix("hb_requests{") && $0.contains(#"http_route="/healthz""#) }
                #expect(healthz?.contains(#"http_response_status_code="200""#) == true, "\(text)")
                #expect(text.contains(#"switchboard_jobs{kind="\#(kind)",outcome="dead"} 1"#), "a job kind without a handler is dead at once")
            }
        }
    }

    @Test("a tenant onboarded through POST /admin/v1/tenants answers at once, and DELETE disables it")
    func onboardingWithoutRestart() async throws {
        let host = try TestEnvironment.demoHost()
        let yaml = manifest(slug: "newco", domain: "newco.localhost")
        try await host.buildApplication().test(.router) { client in
            try await client.execute(uri: "/api/v1/tenant", method: .get, headers: [.init("Host")!: "newco.localhost"]) {
                #expect($0.status == .notFound)
            }
            var headers = Self.admin
            headers[.contentType] = "application/yaml"
            try await client.execute(uri: "/admin/v1/tenants", method: .post, headers: headers, body: ByteBuffer(string: yaml)) { response in
                #expect(response.status == .created)
                #expect(json(response.body)["running"] == .bool(true))
            }
            try await client.execute(uri: "/api/v1/tenant", method: .get, headers: [.init("Host")!: "newco.localhost"]) { response in
                #expect(response.status == .ok)
                #expect(json(response.body)["slug"] == "newco")
            }
            // Its plugin's route is mounted on its domain at once, served by the C plugin.
            let token = try host.token("newco", role: "viewer")
            try await client.execute(uri: "/api/hello", method: .get, headers: [.init("Host")!: "newco.localhost", .authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(json(response.body)["hello"] == "from C")
            }
            try await client.execute(uri: "/admin/v1/tenants/newco", method: .delete, headers: Self.admin) {
                #expect($0.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/tenant", method: .get, headers: [.init("Host")!: "newco.localhost"]) {
                #expect($0.status == .notFound)
            }
        }
        let audit = try host.services.audit.entries(tenantID: "newco").map(\.action)
        #expect(audit.contains("tenant_onboarded") && audit.contains("tenant_disabled"))
    }

    @Test("the admin API needs the platform token; an invalid manifest gets every error with its path")
    func adminAuthAndValidation() async throws {
        let host = try TestEnvironment.demoHost()
        let invalid = """
            slug: Not Valid
            domains: [mrdj.localhost]
            timezone: Nowhere/Land
            plugins:
              - id: no-such-plugin
            """
        try await host.buildApplication().test(.router) { client in
            try await client.execute(uri: "/admin/v1/tenants", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/admin/v1/tenants", method: .get, headers: [.authorization: "Bearer wrong"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/admin/v1/tenants", method: .post, headers: Self.admin, body: ByteBuffer(string: invalid)) { response in
                #expect(response.status == .unprocessableContent)
                let errors = json(response.body)["errors"]?.arrayValue ?? []
                let paths = Set(errors.compactMap { $0["path"]?.stringValue })
                #expect(paths == ["slug", "name", "timezone", "plugins[0].id", "domains[0]"])
                let timezone = errors.first { $0["path"] == "timezone" }
                #expect(timezone?["line"] == .number(3))
                let domain = errors.first { $0["path"] == "domains[0]" }
                #expect(domain?["message"]?.stringValue?.contains("already served by tenant mrdj") == true)
            }
            // Nothing was half-written: the tenant list is unchanged.
            try await client.execute(uri: "/admin/v1/tenants", method: .get, headers: Self.admin) { response in
                #expect(json(response.body)["tenants"]?.arrayValue?.count == 4)
            }
        }
    }

    @Test("an oversized body is refused with 413")
    func oversizedBody() async throws {
        let host = try TestEnvironment.demoHost()
        try await host.buildApplication().test(.router) { client in
            let big = ByteBuffer(repeating: UInt8(ascii: "a"), count: 2 * 1024 * 1024)
            try await client.execute(uri: "/admin/v1/tenants", method: .post, headers: Self.admin, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    @Test("every response carries a request id")
    func requestIDs() async throws {
        let host = try TestEnvironment.demoHost()
        try await host.buildApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get, headers: [.init("X-Request-ID")!: "abc-123"]) { response in
                #expect(response.headers[.init("X-Request-ID")!] == "abc-123")
            }
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.headers[.init("X-Request-ID")!]?.isEmpty == false)
            }
        }
    }
}

import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Tenant isolation of plugin instances")
struct TenantIsolationTests {
    @Test("a plugin instance's store calls cannot touch another tenant's records")
    func storeIsTenantScoped() throws {
        let host = try TestEnvironment.host(manifests: [
            "a": manifest(slug: "tenant-a", domain: "a.localhost"),
            "b": manifest(slug: "tenant-b", domain: "b.localhost"),
        ])
        let a = try #require(host.registry.tenant(slug: "tenant-a")?.instance(of: "hello-c"))
        let b = try #require(host.registry.tenant(slug: "tenant-b")?.instance(of: "hello-c"))

        // HelloC counts events in its store (collection "counters", key "events").
        for _ in 0..<3 { #expect(a.handleEvent(.object(["type": "echo"])).ok) }
        #expect(b.handleEvent(.object(["type": "echo"])).ok)

        #expect(a.handleHTTP(.object([:])).json["json"]?["events_seen"] == .number(3))
        #expect(b.handleHTTP(.object([:])).json["json"]?["events_seen"] == .number(1))

        let records = host.services.records
        #expect(try records.get(.init(tenantID: "tenant-a", pluginID: "hello-c"), collection: "counters", key: "events") == "3")
        #expect(try records.get(.init(tenantID: "tenant-b", pluginID: "hello-c"), collection: "counters", key: "events") == "1")
    }

    @Test("the same key written by two tenants' Swift plugin instances stays separate")
    func swiftPluginStoreIsTenantScoped() throws {
        let host = try TestEnvironment.host(manifests: [
            "a": manifest(slug: "tenant-a", domain: "a.localhost", plugins: ["echo-swift"]),
            "b": manifest(slug: "tenant-b", domain: "b.localhost", plugins: ["echo-swift"]),
        ])
        let a = try #require(host.registry.tenant(slug: "tenant-a")?.instance(of: "echo-swift"))
        let b = try #require(host.registry.tenant(slug: "tenant-b")?.instance(of: "echo-swift"))
        let eventA: JSON = .object(["type": "greeting", "id": "1", "data": .object(["who": "alice"])])
        let eventB: JSON = .object(["type": "greeting", "id": "2", "data": .object(["who": "bob"])])
        let reply = a.handleEvent(eventA)
        #expect(reply.ok)
        #expect(reply.json["echo"]?["data"]?["who"] == "alice")
        #expect(b.handleEvent(eventB).ok)
        let stored = { (tenant: String) in
            try host.services.records.get(.init(tenantID: tenant, pluginID: "echo-swift"), collection: "last_event", key: "greeting")
                .map { try JSON.parse($0)["data"]?["who"] }
        }
        #expect(try stored("tenant-a") == .string("alice"))
        #expect(try stored("tenant-b") == .string("bob"))
    }

    @Test("egress is limited to the manifest's allow-list")
    func egressAllowList() {
        let policy = EgressPolicy(allowed: ["api.mollie.com", "*.example.com", "127.0.0.1:9999"])
        #expect(!policy.permits("https://api.mollie.com:8443/v2"), "an entry without a port allows only the default port")
        #expect(policy.permits("https://api.mollie.com/v2/payments"))
        #expect(policy.permits("https://hooks.example.com/x"))
        #expect(policy.permits("http://127.0.0.1:9999/ok"))
        #expect(!policy.permits("http://127.0.0.1:8080/admin"))
        #expect(!policy.permits("https://api.mollie.com.evil.net/"))
        #expect(!policy.permits("file:///etc/passwd"))
        #expect(!policy.permits("https://example.com.attacker.io"))
    }
}

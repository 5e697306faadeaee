import CPluginABI
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Attacks on the HTTP surface of the demo tenants: another tenant's token on every route, forged and
/// replayed webhooks, SQL injection in every filter, oversized bodies and path traversal.
@Suite("Security: cross-tenant access, forged and replayed webhooks, SQL injection, oversized bodies, path traversal")
struct SecurityTests {
    static let demoHosts = ["tutorbot": "tutorbot.localhost", "leadqualifier": "leadqualifier.localhost", "mrdj": "mrdj.localhost", "chargecars": "chargecars.localhost"]

    /// What a victim tenant holds: ids to put into paths and a marker no other tenant's answer may contain.
    struct Victim {
        let slug: String
        let marker: String
        let contactID: String
        let taskID: String
        let conversationID: String
    }

    /// Gives `slug` a contact and conversation (an inbound message) and a task, each carrying a marker.
    static func seed(_ host: SwitchboardHost, _ slug: String, _ client: some TestClientProtocol) async throws -> Victim {
        let marker = "SECRET\(slug.uppercased())\(Int.random(in: 1000...9999))"
        let tenant = try #require(host.registry.tenant(slug: slug))
        let outcome = try InboundProcessor(services: host.services).ingest(
            InboundMessage(channel: "sandbox", providerMessageID: "m-\(marker)", email: "\(marker.lowercased())@example.com", name: marker, text: "text \(marker)"),
            tenant: tenant)
        let contactID = try #require(outcome.contactID), conversationID = try #require(outcome.conversationID)
        let owner = APIClient(client: client, host: Self.demoHosts[slug]!, token: try host.token(slug, role: "admin"))
        let task = try await owner.post("/api/v1/tasks", ["title": .string("task \(marker)"), "contact_id": .string(contactID)])
        #expect(task.status == .created, "\(task.text)")
        return Victim(slug: slug, marker: marker, contactID: contactID, taskID: task.json["id"]?.stringValue ?? "", conversationID: conversationID)
    }

    /// Every documented operation of a tenant (core and plugin routes): method, path, whether it needs a token.
    static func operations(_ api: APIClient) async throws -> [(method: HTTPRequest.Method, path: String, secured: Bool)] {
        let document = try await api.send(.get, "/api/v1/openapi.json", token: .some(nil)).json
        return (document["paths"]?.objectValue ?? [:]).flatMap { path, item in
            (item.objectValue ?? [:]).compactMap { method, operation in
                guard ["get", "post", "put", "patch", "delete"].contains(method) else { return nil }
                return HTTPRequest.Method(method.uppercased()).map { ($0, path, operation["security"] != nil) }
            }
        }.sorted { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) }
    }

    /// The path with every `{parameter}` replaced by the victim's object of that kind (a contact by default).
    static func fill(_ path: String, _ victim: Victim) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment -> String in
            guard segment.hasPrefix("{") else { return String(segment) }
            if path.contains("/tasks/") { return victim.taskID }
            if path.contains("/conversations/") { return victim.conversationID }
            return victim.contactID
        }.joined(separator: "/")
    }

    @Test("another tenant's admin token gets no 2xx and no data on any route of the first tenant, core or plugin; its own host serves none of the first tenant's objects")
    func crossTenantEveryRoute() async throws {
        let host = try TestEnvironment.demoHost()
        let slugs = Self.demoHosts.keys.sorted()
        try await host.buildApplication().test(.router) { client in
            var victims: [String: Victim] = [:]
            for slug in slugs { victims[slug] = try await Self.seed(host, slug, client) }
            var checked = 0
            for (index, slug) in slugs.enumerated() {
                let victim = victims[slug]!, attackerSlug = slugs[(index + 1) % slugs.count]
                let attackerToken = try host.token(attackerSlug, role: "admin")
                let atVictim = APIClient(client: client, host: Self.demoHosts[slug]!, token: attackerToken)
                let atOwnHost = APIClient(client: client, host: Self.demoHosts[attackerSlug]!, token: attackerToken)
                let operations = try await Self.operations(atVictim)
                #expect(operations.contains { $0.path.hasPrefix("/api/v1/contacts") } && operations.count > 30, "\(slug): \(operations.count) operations")
                for (method, path, secured) in operations {
                    let filled = Self.fill(path, victim)
                    let body: JSON? = [.post, .put, .patch].contains(method) ? ["name": "x", "title": "x"] : nil
                    if secured {
                        let reply = try await atVictim.send(method, filled, json: body)
                        #expect(!(200..<300).contains(reply.status.code) && !reply.text.contains(victim.marker), "\(attackerSlug) → \(slug) \(method) \(filled): \(reply.status)")
                    }
                    let own = try await atOwnHost.send(method, filled, json: body)
                    #expect(!own.text.contains(victim.marker), "\(attackerSlug) at its own host \(method) \(filled) leaked \(slug)'s data")
                    checked += 1
                }
                let contact = try await APIClient(client: client, host: Self.demoHosts[slug]!, token: try host.token(slug, role: "admin")).get("/api/v1/contacts/\(victim.contactID)")
                #expect(contact.status == .ok && contact.json["name"]?.stringValue == victim.marker, "the victim's contact is untouched")
                #expect(try host.services.tasks.find(tenantID: slug, id: victim.taskID)?.title == "task \(victim.marker)")
            }
            print("cross-tenant: \(checked) operations checked")
        }
    }

    static let injections = ["' OR 1=1 --", "%' --", "\" OR \"\"=\"", "1; DROP TABLE contacts; --", "') OR ('1'='1", "%", "_", "*", "\\", "' UNION SELECT * FROM contacts --"]
    static let filterParameters = [
        "q", "label", "phone", "email", "status", "contact_id", "conversation_id", "channel", "assignee", "priority", "task_type", "overdue",
        "language", "category", "approval_status", "business_entity", "name", "action", "kind", "from", "to", "limit", "cursor", "attribute[city]",
        "stage", "pipeline", "search", "date", "source",
    ]

    @Test("SQL injection in every filter parameter of every list endpoint returns no other tenant's rows and no 500")
    func sqlInjection() async throws {
        let host = try TestEnvironment.demoHost()
        try await host.buildApplication().test(.router) { client in
            let victim = try await Self.seed(host, "mrdj", client)
            _ = try await Self.seed(host, "tutorbot", client)
            let api = APIClient(client: client, host: "tutorbot.localhost", token: try host.token("tutorbot", role: "admin"))
            let lists = try await Self.operations(api).filter { $0.method == .get && !$0.path.contains("{") && $0.secured }
            var sent = 0
            for (_, path, _) in lists {
                for parameter in Self.filterParameters {
                    for injection in Self.injections {
                        let query = "\(FormEncoding.escape(parameter))=\(FormEncoding.escape(injection))"
                        let reply = try await api.get("\(path)?\(query)")
                        #expect(reply.status.code < 500 && !reply.text.contains(victim.marker), "GET \(path)?\(query): \(reply.status)")
                        sent += 1
                    }
                }
            }
            print("sql injection: \(sent) requests over \(lists.count) list endpoints")
            #expect(try host.services.contacts.find(tenantID: "mrdj", .id(victim.contactID)) != nil, "nothing was dropped")
        }
    }

    @Test("a forged webhook signature is refused and audited; a replayed one (same body and signature) has no second effect")
    func forgedAndReplayedWebhooks() async throws {
        let (yaml, _) = ChannelTests.tenant(graph: "http://127.0.0.1:9")
        let host = try TestEnvironment.host(manifests: ["lq": yaml])
        try await host.buildApplication().test(.router) { client in
            let body = ChannelTests.whatsAppMessage(id: "wamid.REPLAY", text: "eenmaal")
            func post(_ signature: String) async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/webhooks/whatsapp", method: .post, headers: [.init("Host")!: "lq.localhost", .xHubSignature256: signature, .contentType: "application/json"],
                    body: ByteBuffer(string: body)) { $0.status }
            }
            #expect(try await post(ChannelTests.signedWhatsApp(body, secret: "not-the-secret")) == .unauthorized)
            #expect(try await post("sha256=" + String(repeating: "0", count: 64)) == .unauthorized)
            #expect(try await post("") == .unauthorized)
            #expect(try host.services.audit.entries(tenantID: "lq", action: "webhook_signature_invalid").count == 3)
            let signature = ChannelTests.signedWhatsApp(body)
            for _ in 0..<3 { #expect(try await post(signature) == .ok) }
            let rows = try host.services.database.read {
                try $0.query("SELECT COUNT(*) AS n FROM messages WHERE tenant_id = 'lq' AND provider_message_id = 'wamid.REPLAY'", []).first?.int("n")
            }
            #expect(rows == 1, "the replays stored nothing more")
            #expect(try host.recordedEvents("lq", type: EventCatalogue.messageReceived).count == 1, "and dispatched nothing more")
        }
    }

    @Test("a body over 1 MiB is refused with 413 problem+json on the API, a webhook and the admin API; nothing is written")
    func oversizedBody() async throws {
        let host = try TestEnvironment.host(manifests: ["a": manifest(slug: "tenant-a", domain: "a.localhost", channels: "  sandbox: {}\n")])
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "a.localhost", token: try host.token("tenant-a", role: "admin"))
            let huge = ByteBuffer(bytes: Array(#"{"name":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 1 << 20) + Array(#""}"#.utf8))
            for (path, token) in [("/api/v1/contacts", api.token), ("/webhooks/sandbox", api.token), ("/admin/v1/tenants", "test-admin-token")] {
                let reply = try await api.send(.post, path, raw: huge, contentType: "application/json", token: .some(token))
                #expect(reply.status == .contentTooLarge && reply.headers[.contentType]?.hasPrefix("application/problem+json") == true, "\(path): \(reply.status)")
            }
            #expect(try host.services.contacts.list(tenantID: "tenant-a", label: nil, attributes: [:], search: nil, page: PageRequest(limit: 10)).data.isEmpty)
        }
    }

    @Test("path traversal in file and media names stays inside the tenant's folder")
    func pathTraversal() throws {
        let host = try TestEnvironment.host(manifests: [
            "a": manifest(slug: "tenant-a", domain: "a.localhost"), "b": manifest(slug: "tenant-b", domain: "b.localhost"),
        ])
        let root = URL(fileURLWithPath: try #require(host.services.tenantFilesRoot))
        for slug in ["tenant-a", "tenant-b"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("\(slug)/docs"), withIntermediateDirectories: true)
            try "secret of \(slug)".write(to: root.appendingPathComponent("\(slug)/docs/secret.txt"), atomically: true, encoding: .utf8)
        }
        for path in ["../tenant-a/docs/secret.txt", "docs/../../tenant-a/docs/secret.txt", "/etc/passwd", "../../../../etc/passwd", "docs/../../../etc/passwd"] {
            let (status, _) = try HostServicesTests.call(host, "tenant-b", "files.read", ["path": .string(path)])
            #expect(status == SB_DENIED, "\(path)")
            #expect(try HostServicesTests.call(host, "tenant-b", "files.list", ["path": .string(path)]).0 == SB_DENIED, "\(path)")
        }
        for path in ["%2e%2e%2ftenant-a%2fdocs%2fsecret.txt", "..%2ftenant-a/docs/secret.txt", "docs%2f..%2f..%2ftenant-a%2fdocs%2fsecret.txt"] {
            let (status, reply) = try HostServicesTests.call(host, "tenant-b", "files.read", ["path": .string(path)])
            #expect(status != SB_OK && !(reply["content"]?.stringValue ?? "").contains("tenant-a"), "an encoded name is a name, not a path: \(path)")
        }
        #expect(try HostServicesTests.call(host, "tenant-b", "files.read", ["path": "docs/secret.txt"]).1["content"] == "secret of tenant-b")

        let media = try #require(host.services.media)
        let folder = URL(fileURLWithPath: media.root).appendingPathComponent("tenant-b").standardizedFileURL.path + "/"
        for name in ["../../tenant-a/evil.txt", "..", "%2e%2e%2fevil", "/etc/passwd", "a/../../b", "..\\..\\evil", "\0evil"] {
            let stored = try media.store(tenantID: "tenant-b", name: name, mimeType: "text/plain", bytes: Array("x".utf8))
            let file = URL(fileURLWithPath: media.root).appendingPathComponent("tenant-b").appendingPathComponent(stored.path).standardizedFileURL
            #expect(file.path.hasPrefix(folder) && FileManager.default.fileExists(atPath: file.path), "\(name) → \(stored.path)")
            #expect(!stored.path.split(separator: "/").contains("..") && !stored.path.contains("%"), "\(stored.path)")
        }
        #expect(throws: MediaStore.OutsideTenant.self) { try media.store(tenantID: "../tenant-a", name: "x", mimeType: "text/plain", bytes: [1]) }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Core REST API, RBAC and validation")
struct CoreAPITests {
    static func twoTenants() throws -> SwitchboardHost {
        try TestEnvironment.host(manifests: [
            "alpha": manifest(slug: "alpha", domain: "alpha.localhost") + "\nroles:\n  nobody: [nothing:none]\n",
            "beta": manifest(slug: "beta", domain: "beta.localhost"),
        ])
    }

    /// A concrete path for an OpenAPI path template.
    static func concrete(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { $0.hasPrefix("{") ? "x" : String($0) }.joined(separator: "/")
    }

    @Test("every protected route answers 401 without a token, 401 for another tenant's token and 403 without the permission")
    func rbacOnEveryRoute() async throws {
        let host = try Self.twoTenants()
        let betaAdmin = try host.token("beta", role: "admin")
        let alphaNobody = try host.token("alpha", role: "nobody")
        try await host.buildApplication().test(.router) { client in
            let alpha = APIClient(client: client, host: "alpha.localhost")
            let document = try await alpha.get("/api/v1/openapi.json").json
            var checked = 0
            for (path, operations) in document["paths"]?.objectValue ?? [:] {
                for (method, operation) in operations.objectValue ?? [:] {
                    guard let permission = operation["x-permission"]?.stringValue else { continue }
                    let verb = HTTPRequest.Method(rawValue: method.uppercased())!
                    let url = Self.concrete(path)
                    let body: JSON? = ["post", "patch", "put"].contains(method) ? [:] : nil

                    let anonymous = try await alpha.send(verb, url, json: body)
                    #expect(anonymous.status == .unauthorized, "\(method) \(path) without a token")
                    #expect(anonymous.headers[.contentType] == "application/problem+json")

                    let foreign = try await alpha.send(verb, url, json: body, token: betaAdmin)
                    #expect(foreign.status == .unauthorized, "\(method) \(path) with beta's admin token on alpha")
                    #expect(foreign.json["data"] == nil)

                    let weak = try await alpha.send(verb, url, json: body, token: alphaNobody)
                    #expect(weak.status == .forbidden, "\(method) \(path) needs \(permission)")
                    #expect(weak.json["detail"]?.stringValue?.contains(permission) == true)
                    checked += 1
                }
            }
            #expect(checked >= 30, "only \(checked) protected operations found")
        }
    }

    @Test("the OpenAPI document lists every mounted core route and validates as OpenAPI 3.1")
    func openAPICoversEveryRoute() async throws {
        let host = try Self.twoTenants()
        let mounted = host.buildRouter().routes
            .filter { $0.path.description.hasPrefix("/api/v1") }
            .map { ($0.method.rawValue.lowercased(), $0.path.description) }
        #expect(mounted.count >= 30)
        try await host.buildApplication().test(.router) { client in
            let document = try await APIClient(client: client, host: "alpha.localhost").get("/api/v1/openapi.json").json
            #expect(document["openapi"] == "3.1.0")
            let paths = document["paths"]?.objectValue ?? [:]
            for (method, path) in mounted {
                #expect(paths[path]?[method] != nil, "\(method) \(path) is mounted but not documented")
            }
            // The tenant's plugin routes are there too.
            #expect(paths["/api/hello"]?["get"]?["x-plugin"] == "hello-c")

            let file = try TestEnvironment.temporaryDirectory().appendingPathComponent("openapi.json")
            try Data(try document.serializedBytes()).write(to: file)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", "import sys, json; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')", file.path]
            let pipe = Pipe()
            process.standardError = pipe
            try process.run()
            process.waitUntilExit()
            let errors = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "openapi-spec-validator rejected the document: \(errors.suffix(2000))")
        }
    }

    @Test("contacts: create, read, filter, paginate, label, update and delete")
    func contactLifecycle() async throws {
        let host = try Self.twoTenants()
        let token = try host.token("alpha", role: "agent")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "alpha.localhost", token: token)
            var ids: [String] = []
            for index in 1...5 {
                let created = try await api.post("/api/v1/contacts", [
                    "name": .string("Person \(index)"), "phone": .string("+3161234567\(index)"),
                    "attributes": ["tier": index % 2 == 0 ? "gold" : "silver"], "labels": index == 3 ? ["vip"] : [],
                ])
                #expect(created.status == .created)
                ids.append(created.json["id"]?.stringValue ?? "")
            }
            let first = try await api.get("/api/v1/contacts?limit=2")
            #expect(first.json["data"]?.arrayValue?.count == 2)
            let cursor = try #require(first.json["next_cursor"]?.stringValue)
            let second = try await api.get("/api/v1/contacts?limit=2&cursor=\(cursor)")
            let third = try await api.get("/api/v1/contacts?limit=2&cursor=\(second.json["next_cursor"]?.stringValue ?? "")")
            let seen = [first, second, third].flatMap { $0.json["data"]?.arrayValue ?? [] }.compactMap { $0["id"]?.stringValue }
            #expect(Set(seen) == Set(ids) && seen.count == 5)
            #expect(third.json["next_cursor"] == .null)

            #expect(try await api.get("/api/v1/contacts?attribute%5Btier%5D=gold").json["data"]?.arrayValue?.count == 2)
            #expect(try await api.get("/api/v1/contacts?label=vip").json["data"]?.arrayValue?.first?["id"] == .string(ids[2]))
            #expect(try await api.get("/api/v1/contacts?phone=%2B31612345671").json["data"]?.arrayValue?.first?["id"] == .string(ids[0]))

            let labelled = try await api.post("/api/v1/contacts/\(ids[0])/labels", ["labels": ["lead", "warm"]])
            #expect(labelled.json["labels"] == ["lead", "warm"])
            let unlabelled = try await api.delete("/api/v1/contacts/\(ids[0])/labels/warm")
            #expect(unlabelled.json["labels"] == ["lead"])

            let patched = try await api.patch("/api/v1/contacts/\(ids[0])/attributes", ["tier": "platinum", "note": "x"])
            #expect(patched.json["attributes"]?["tier"] == "platinum")
            let cleared = try await api.patch("/api/v1/contacts/\(ids[0])/attributes", ["note": .null])
            #expect(cleared.json["attributes"]?["note"] == nil)
            let renamed = try await api.patch("/api/v1/contacts/\(ids[0])", ["email": "P1@Example.com"])
            #expect(renamed.json["email"] == "p1@example.com")
            #expect(try await api.get("/api/v1/contacts?email=p1%40example.com").json["data"]?.arrayValue?.count == 1)

            #expect(try await api.delete("/api/v1/contacts/\(ids[4])").status == .noContent)
            #expect(try await api.get("/api/v1/contacts/\(ids[4])").status == .notFound)

            // Beta sees none of alpha's contacts, even with its own valid token.
            let beta = APIClient(client: client, host: "beta.localhost", token: try host.token("beta", role: "admin"))
            #expect(try await beta.get("/api/v1/contacts").json["data"]?.arrayValue?.isEmpty == true)
            #expect(try await beta.get("/api/v1/contacts/\(ids[0])").status == .notFound)
        }
    }

    @Test("bad input is 400, 413 or 422 with field detail, and writes nothing")
    func validation() async throws {
        let host = try Self.twoTenants()
        let token = try host.token("alpha", role: "admin")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "alpha.localhost", token: token)
            let invalid = try await api.post("/api/v1/contacts", ["phone": "0612345678", "email": "nope", "colour": "red", "labels": ["Bad Label"]])
            #expect(invalid.status == .unprocessableContent)
            #expect(invalid.headers[.contentType] == "application/problem+json")
            let paths = Set((invalid.json["errors"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue })
            #expect(paths == ["phone", "email", "colour", "labels[0]"])

            let wrongType = try await api.post("/api/v1/tasks", ["title": .number(5), "priority": "someday"])
            #expect(wrongType.status == .unprocessableContent)
            #expect(Set((wrongType.json["errors"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue }) == ["title", "priority"])

            let notJSON = try await api.send(.post, "/api/v1/contacts", raw: ByteBuffer(string: "{name: "))
            #expect(notJSON.status == .badRequest)
            let badUTF8 = try await api.send(.post, "/api/v1/contacts", raw: ByteBuffer(bytes: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]))
            #expect(badUTF8.status == .badRequest)
            let huge = try await api.send(.post, "/api/v1/contacts", raw: ByteBuffer(repeating: 0x20, count: 1_100_000))
            #expect(huge.status == .contentTooLarge)
            let badCursor = try await api.get("/api/v1/contacts?cursor=%%%")
            #expect(badCursor.status == .unprocessableContent || badCursor.status == .badRequest)

            #expect(try await api.get("/api/v1/contacts").json["data"]?.arrayValue?.isEmpty == true, "nothing was half-written")
        }
    }

    @Test("tokens are shown once, stored as SHA-256 hashes, audited and revocable")
    func tokenLifecycle() async throws {
        let host = try Self.twoTenants()
        let admin = try host.token("alpha", role: "admin")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "alpha.localhost", token: admin)
            let created = try await api.post("/api/v1/tokens", ["name": "crm sync", "role": "viewer"])
            #expect(created.status == .created)
            let secret = try #require(created.json["secret"]?.stringValue)
            let prefix = try #require(created.json["prefix"]?.stringValue)
            #expect(secret.hasPrefix(prefix + "_"))
            let listed = try await api.get("/api/v1/tokens")
            #expect(!listed.text.contains(secret))
            let stored = try host.services.database.read { try $0.query("SELECT token_hash FROM api_tokens WHERE prefix = $1", [.text(prefix)]) }
            #expect(stored.first?.string("token_hash") == Crypto.sha256Hex(Array(secret.utf8)))

            let viewer = APIClient(client: client, host: "alpha.localhost", token: secret)
            #expect(try await viewer.get("/api/v1/contacts").status == .ok)
            #expect(try await viewer.post("/api/v1/contacts", ["name": "x"]).status == .forbidden)
            #expect(try await api.delete("/api/v1/tokens/\(prefix)").status == .noContent)
            #expect(try await viewer.get("/api/v1/contacts").status == .unauthorized)

            let audit = try await api.get("/api/v1/audit").json["data"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
            #expect(audit.contains("token_created") && audit.contains("token_revoked"))
        }
    }

    @Test("users: created with a hashed password, role changes audited")
    func users() async throws {
        let host = try Self.twoTenants()
        let admin = try host.token("alpha", role: "admin")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "alpha.localhost", token: admin)
            #expect(try await api.post("/api/v1/users", ["email": "a@b.nl", "name": "A", "role": "sales", "password": "short"]).status == .unprocessableContent)
            let created = try await api.post("/api/v1/users", ["email": "Ann@Example.nl", "name": "Ann", "role": "sales", "password": "correct horse battery"])
            #expect(created.status == .created)
            let id = try #require(created.json["id"]?.stringValue)
            let hash = try host.services.database.read { try $0.query("SELECT password_hash FROM users WHERE id = $1", [.text(id)]) }.first?.string("password_hash") ?? ""
            #expect(hash.hasPrefix("pbkdf2-sha256$") && !hash.contains("correct horse"))
            #expect(try host.services.credentials.verifyUser(tenantID: "alpha", email: "ann@example.nl", password: "correct horse battery", roles: RoleBook(extra: [:]))?.role == "sales")
            #expect(try host.services.credentials.verifyUser(tenantID: "alpha", email: "ann@example.nl", password: "wrong horse battery", roles: RoleBook(extra: [:])) == nil)
            #expect(try await api.patch("/api/v1/users/\(id)", ["role": "viewer"]).status == .ok)
            #expect(try await api.patch("/api/v1/users/\(id)", ["role": "emperor"]).status == .unprocessableContent)
            let audit = try host.services.audit.entries(tenantID: "alpha").map(\.action)
            #expect(audit.contains("user_created") && audit.contains("role_changed"))
        }
    }

    @Test("tasks and templates: create, filter and update")
    func tasksAndTemplates() async throws {
        let host = try Self.twoTenants()
        let token = try host.token("alpha", role: "admin")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "alpha.localhost", token: token)
            let task = try await api.post("/api/v1/tasks", ["title": "Call back", "priority": "high", "task_type": "callback", "due_at": 1000])
            #expect(task.status == .created)
            let id = try #require(task.json["id"]?.stringValue)
            #expect(try await api.get("/api/v1/tasks?overdue=true").json["data"]?.arrayValue?.count == 1)
            let done = try await api.patch("/api/v1/tasks/\(id)", ["status": "completed"])
            #expect(done.json["status"] == "completed" && done.json["completed_at"]?.doubleValue != nil)
            #expect(try await api.get("/api/v1/tasks?overdue=true").json["data"]?.arrayValue?.isEmpty == true)
            #expect(try await api.post("/api/v1/tasks", ["title": "x", "contact_id": "nope"]).status == .unprocessableContent)

            let template = try await api.post("/api/v1/templates", ["name": "lead_welcome_v1", "channel": "whatsapp", "language": "de",
                                                                    "body": "Hallo {{name}}, danke für {{source}}!"])
            #expect(template.status == .created)
            #expect(template.json["variables"] == ["name", "source"])
            #expect(template.json["approval_status"] == "pending")
            let templateID = try #require(template.json["id"]?.stringValue)
            #expect(try await api.patch("/api/v1/templates/\(templateID)", ["approval_status": "approved"]).json["approval_status"] == "approved")
            #expect(try await api.post("/api/v1/templates", ["name": "lead_welcome_v1", "channel": "whatsapp", "language": "de", "body": "again"]).status == .conflict)
            #expect(try await api.get("/api/v1/templates?channel=whatsapp").json["data"]?.arrayValue?.count == 1)
        }
    }
}

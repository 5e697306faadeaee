import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Console settings")
struct ConsoleSettingsTests {
    @Test("an admin adds users, creates a token shown once that works and revokes it, switches a rule off, and retries a dead job; an agent is refused")
    func adminSettings() async throws {
        let host = try TestEnvironment.host(manifests: ["a": manifest(slug: "alpha", domain: "alpha.localhost")])
        _ = try host.services.credentials.createUser(tenantID: "alpha", email: "admin@alpha.test", name: "Admin", role: "admin", password: "correct horse battery", actor: "test")
        let dead = try host.services.jobs.schedule(tenantID: "alpha", pluginID: nil, kind: "outlook.fetch", runAt: 0, payload: [:], uniqueKey: nil, maxAttempts: 1)
        try host.services.database.transaction {
            try $0.execute("UPDATE jobs SET status = 'dead', last_error = 'HTTP 500 from Graph' WHERE tenant_id = $1 AND id = $2", [.text("alpha"), .text(dead.id)])
        }
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "alpha.localhost", token: try host.token("alpha", role: "admin"))
            let rule = try await api.post("/api/v1/automation_rules", [
                "name": "tag vip", "event": "contact_updated", "conditions": [], "actions": [["add_label": "vip"]],
            ]).json
            let ruleID = try #require(rule["id"]?.stringValue)

            let admin = ConsoleBrowser(client, domain: "alpha.localhost")
            _ = try await admin.signIn("admin@alpha.test", "correct horse battery")
            let settings = try await admin.get("/console/settings")
            #expect(settings.status == .ok && settings.html.contains("tag vip") && settings.html.contains("HTTP 500 from Graph"))
            let csrf = try #require(settings.hidden("csrf"))

            let short = try await admin.post("/console/settings/users", [("csrf", csrf), ("email", "sam@alpha.test"), ("name", "Sam"), ("role", "agent"), ("password", "short")])
            #expect(short.status == .unprocessableContent && short.html.contains("at least 12 characters"))
            #expect(try host.services.credentials.users(tenantID: "alpha").count == 1, "nothing written")
            #expect(try await admin.post("/console/settings/users", [("csrf", csrf), ("email", "sam@alpha.test"), ("name", "Sam"), ("role", "agent"), ("password", "a long enough password")]).status == .seeOther)
            #expect(try host.services.credentials.users(tenantID: "alpha").contains { $0.email == "sam@alpha.test" && $0.role == "agent" })

            let created = try await admin.post("/console/settings/tokens", [("csrf", csrf), ("name", "zapier"), ("role", "viewer")])
            let secret = try #require(created.html.range(of: "id=\"new-token\">").map { String(created.html[$0.upperBound...].prefix { $0 != "<" }) })
            #expect(created.headers[.cacheControl] == "no-store")
            #expect(try await api.send(.get, "/api/v1/contacts", token: secret).status == .ok, "the shown secret works")
            #expect(try await admin.get("/console/settings").html.contains(secret) == false, "and is never shown again")
            let tokenID = try #require(try host.services.credentials.tokens(tenantID: "alpha").first { $0.name == "zapier" }?.id)
            #expect(try await admin.post("/console/settings/tokens/\(tokenID)/revoke", [("csrf", csrf)]).status == .seeOther)
            #expect(try await api.send(.get, "/api/v1/contacts", token: secret).status == .unauthorized)

            #expect(try await admin.post("/console/settings/rules/\(ruleID)", [("csrf", csrf), ("active", "false")]).status == .seeOther)
            #expect(try AutomationStore(database: host.services.database).rule(tenantID: "alpha", id: ruleID)?.active == false)

            #expect(try await admin.post("/console/settings/jobs/\(dead.id)/retry", [("csrf", csrf)]).status == .seeOther)
            #expect(try host.services.jobs.list(tenantID: "alpha", pluginID: nil, status: "pending", kind: "outlook.fetch").contains { $0.id == dead.id })

            let agent = ConsoleBrowser(client, domain: "alpha.localhost")
            _ = try await agent.signIn("sam@alpha.test", "a long enough password")
            #expect(try await agent.get("/console/settings").status == .forbidden)
            #expect(try await agent.get("/console").html.contains("/console/settings") == false, "no Settings link for an agent")
        }
    }
}

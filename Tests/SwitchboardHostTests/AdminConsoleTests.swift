import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import SwitchboardHost

@Suite("The platform admin console")
struct AdminConsoleTests {
    @Test("sign in with the admin token; see tenants with health and plugins; a bad manifest shows its errors beside their lines; onboard and disable")
    func onboardAndDisable() async throws {
        let host = try TestEnvironment.host(manifests: ["a": manifest(slug: "alpha", domain: "alpha.localhost")])
        try await host.buildApplication().test(.router) { client in
            let admin = ConsoleBrowser(client, domain: "admin.localhost")
            #expect(try await admin.get("/admin/console").headers[.location] == "/admin/console/login")
            #expect(try await admin.signIn(token: "wrong-token").status == .unauthorized)
            #expect(try await admin.signIn(token: "test-admin-token").headers[.location] == "/admin/console")
            #expect(admin.cookies["sb_admin"] != nil)

            let tenants = try await admin.get("/admin/console")
            #expect(tenants.status == .ok && tenants.html.contains("alpha.localhost") && tenants.html.contains("serving") && tenants.html.contains("hello-c@"))
            let csrf = try #require(tenants.hidden("csrf"))

            let bad = "slug: Beta!\nname: Beta\ndomains: [beta.localhost]\nplugins:\n  - id: no-such-plugin\n"
            let refused = try await admin.post("/admin/console/onboard", [("manifest", bad), ("csrf", csrf)])
            #expect(refused.status == .unprocessableContent)
            #expect(refused.html.contains("no-such-plugin") && refused.html.contains("⚠"))
            // The slug's problem sits in the row of line 1.
            let firstRow = try #require(refused.html.range(of: "<td class=\"meta\">1</td>"))
            #expect(refused.html[firstRow.upperBound...].prefix(400).contains("slug"))
            #expect(host.registry.tenant(slug: "beta") == nil, "nothing half-written")

            #expect(try await admin.post("/admin/console/onboard", [("manifest", manifest(slug: "beta", domain: "beta.localhost"))]).status == .forbidden, "no CSRF token")
            let onboarded = try await admin.post("/admin/console/onboard", [("manifest", manifest(slug: "beta", domain: "beta.localhost")), ("csrf", csrf)])
            #expect(onboarded.status == .seeOther)
            #expect(host.registry.tenant(forHost: "beta.localhost")?.slug == "beta", "served at once")

            #expect(try await admin.post("/admin/console/tenants/beta/disable", [("csrf", csrf)]).status == .seeOther)
            #expect(host.registry.tenant(forHost: "beta.localhost") == nil)
            #expect(try await admin.get("/admin/console").html.contains("disabled"))

            let plugins = try await admin.get("/admin/console/plugins")
            #expect(plugins.html.contains("hello-c") && plugins.html.contains("1.3"))

            // A tenant's console session is no admin session.
            #expect(try await ConsoleBrowser(client, domain: "alpha.localhost").get("/admin/console").status == .seeOther)
        }
    }
}

extension ConsoleBrowser {
    /// Signs in to the platform admin console with `token`.
    func signIn(token: String) async throws -> Page {
        let login = try await get("/admin/console/login")
        return try await post("/admin/console/login", [("token", token), ("csrf", login.hidden("csrf") ?? "")])
    }
}

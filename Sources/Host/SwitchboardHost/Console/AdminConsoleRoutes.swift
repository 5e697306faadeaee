import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// The platform admin console under `/admin/console`: the tenants with their health and plugins, onboarding
/// a tenant from a manifest (validation errors shown beside their lines), disabling a tenant, and the plugin
/// libraries with their versions. Sign-in is with `SWITCHBOARD_ADMIN_TOKEN`; the session cookie is an HMAC
/// under that token with an expiry, so every host sharing the token accepts it and rotating the token ends it.
struct AdminConsoleRoutes {
    let registry: TenantRegistry
    let adminToken: String?

    static let cookieName = "sb_admin"
    static let loginCSRFCookie = "sb_admin_csrf"
    static let lifetimeSeconds = 8 * 3600

    func register(on router: Router<AppRequestContext>) {
        router.get("/admin/console/login") { _, _ -> Response in
            let csrf = Crypto.hex(try Crypto.randomBytes(16))
            var response = adminPage(html: render("admin_login", ["csrf": csrf]), title: "Platform sign-in", csrf: nil)
            response.setCookie(Cookie(name: Self.loginCSRFCookie, value: csrf, path: "/admin/console", httpOnly: true, sameSite: .strict))
            return response
        }

        router.post("/admin/console/login") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            try ConsoleForms.requireSignInCSRF(form, request, cookie: Self.loginCSRFCookie)
            let throttle = registry.services.loginThrottle
            // One shared token, no accounts: limited per IP only, so nobody can lock the platform admin out.
            let attempt = LoginThrottle.keys(tenant: AuditLog.platformTenant, email: nil, ip: context.clientIP)
            try throttle.admit(attempt)
            guard let adminToken, Crypto.constantTimeEqual(Array((form["token"] ?? "").utf8), Array(adminToken.utf8)) else {
                for locked in throttle.recordFailure(attempt) {
                    try? registry.services.audit.record(
                        tenantID: AuditLog.platformTenant, actor: "ip:\(context.clientIP ?? "unknown")", action: "admin_sign_in_locked",
                        details: ["limited": .string(locked)])
                }
                var response = adminPage(html: render("admin_login", ["csrf": form["csrf"] ?? "", "error": adminToken == nil ? "The admin console is disabled: set SWITCHBOARD_ADMIN_TOKEN." : "That is not the platform admin token."]), title: "Platform sign-in", csrf: nil)
                response.status = .unauthorized
                return response
            }
            let expiry = Int(Date().timeIntervalSince1970) + Self.lifetimeSeconds
            var response = ConsoleRoutes.redirect("/admin/console")
            response.setCookie(Cookie(name: Self.cookieName, value: "\(expiry).\(Self.mac(adminToken, "session|\(expiry)"))", path: "/admin/console", httpOnly: true, sameSite: .strict))
            return response
        }

        router.get("/admin/console") { request, _ -> Response in
            let csrf = try signedIn(request)
            let statuses = try await registry.services.database.perform { try registry.statuses() }
            let rows: [[String: Any]] = statuses.map {
                ["slug": $0.slug, "name": $0.name, "domains": $0.domains.joined(separator: ", "), "status": $0.status,
                 "health": $0.problem.map { "failing: \($0)" } ?? ($0.running ? "serving" : "stopped"),
                 "healthy": $0.running && $0.problem == nil, "plugins": $0.plugins.joined(separator: ", "), "active": $0.status == "active"]
            }
            return adminPage(html: render("admin_tenants", ["tenants": rows, "csrf": csrf, "message": request.uri.queryParameters.get("message").map { String($0) } ?? ""]), title: "Tenants", csrf: csrf)
        }

        router.get("/admin/console/onboard") { request, _ -> Response in
            let csrf = try signedIn(request)
            return adminPage(html: render("admin_onboard", ["csrf": csrf, "lines": [] as [Any]]), title: "Onboard a tenant", csrf: csrf)
        }

        router.post("/admin/console/onboard") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let csrf = try signedIn(request, form: form)
            let yaml = form["manifest"] ?? ""
            do {
                let tenant = try await registry.services.database.perform { try registry.onboard(yaml: yaml, actor: "platform-admin") }
                return ConsoleRoutes.redirect("/admin/console?message=" + ConsoleForms.queryValue("Onboarded \(tenant.slug)."))
            } catch let error as ManifestValidationError {
                return adminPage(html: render("admin_onboard", ["csrf": csrf, "manifest": yaml, "lines": Self.annotated(yaml, error.issues), "failed": true]),
                                 title: "Onboard a tenant", csrf: csrf, status: .unprocessableContent)
            } catch let issue as ManifestIssue {
                return adminPage(html: render("admin_onboard", ["csrf": csrf, "manifest": yaml, "lines": Self.annotated(yaml, [issue]), "failed": true]),
                                 title: "Onboard a tenant", csrf: csrf, status: .unprocessableContent)
            }
        }

        router.post("/admin/console/tenants/{slug}/disable") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            _ = try signedIn(request, form: form)
            let slug = try context.parameters.require("slug")
            guard try await registry.services.database.perform({ try registry.disable(slug: slug, actor: "platform-admin") }) else {
                throw Problem(status: .notFound, title: "Unknown tenant", detail: "No tenant has the slug \"\(slug)\".")
            }
            return ConsoleRoutes.redirect("/admin/console?message=" + ConsoleForms.queryValue("Disabled \(slug)."))
        }

        router.get("/admin/console/plugins") { request, _ -> Response in
            let csrf = try signedIn(request)
            let plugins: [[String: Any]] = registry.catalog.all.map {
                ["id": $0.id, "version": $0.version, "abi": "\($0.abiMajor).\($0.abiMinor)", "capabilities": $0.capabilities.names.joined(separator: ", "),
                 "file": $0.path, "routes": $0.routes.count]
            }
            let refused: [[String: Any]] = registry.catalog.failures.map { ["path": $0.path, "error": $0.error.description] }
            return adminPage(html: render("admin_plugins", ["plugins": plugins, "refused": refused]), title: "Plugins", csrf: csrf)
        }

        router.post("/admin/console/logout") { request, context -> Response in
            _ = try signedIn(request, form: try await ConsoleForms.read(request, context))
            var response = ConsoleRoutes.redirect("/admin/console/login")
            response.setCookie(Cookie(name: Self.cookieName, value: "", maxAge: 0, path: "/admin/console", httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// The session's CSRF token if the admin cookie is valid (else a redirect to sign-in); a posted `form` must carry it.
    private func signedIn(_ request: Request, form: [String: String]? = nil) throws -> String {
        guard let adminToken, let cookie = request.cookies[Self.cookieName]?.value,
            let dot = cookie.firstIndex(of: "."), let expiry = Int(cookie[..<dot]), expiry > Int(Date().timeIntervalSince1970),
            Crypto.constantTimeEqual(Array(cookie[cookie.index(after: dot)...].utf8), Array(Self.mac(adminToken, "session|\(expiry)").utf8))
        else { throw ConsoleRedirect(location: "/admin/console/login") }
        let csrf = Self.mac(adminToken, "csrf|\(cookie)")
        if let form { try ConsoleForms.requireCSRF(form, expected: csrf) }
        return csrf
    }

    private static func mac(_ key: String, _ text: String) -> String {
        Crypto.hex(Crypto.hmacSHA256(key: Array(key.utf8), data: Array(text.utf8)))
    }

    /// The manifest's lines, numbered, each with the validation messages that point at it;
    /// messages without a line come first on line 0.
    static func annotated(_ yaml: String, _ issues: [ManifestIssue]) -> [[String: Any]] {
        let byLine = Dictionary(grouping: issues, by: { $0.line ?? 0 })
        var lines: [[String: Any]] = []
        if let general = byLine[0] { lines.append(["number": "", "text": "", "issues": general.map { ["message": "\($0.path.isEmpty ? "" : "\($0.path): ")\($0.message)"] }]) }
        for (index, text) in yaml.components(separatedBy: "\n").enumerated() {
            let found = byLine[index + 1] ?? []
            lines.append(["number": index + 1, "text": text, "issues": found.map { ["message": "\($0.path.isEmpty ? "" : "\($0.path): ")\($0.message)"] }, "flagged": !found.isEmpty])
        }
        return lines
    }

    private func render(_ template: String, _ values: [String: Any]) -> String {
        ConsoleTemplates.library.render(values, withTemplate: template) ?? ""
    }

    private func adminPage(html: String, title: String, csrf: String?, status: HTTPResponse.Status = .ok) -> Response {
        var layout: [String: Any] = [
            "brand": ["name": "Switchboard platform", "logo_url": "", "primary_color": "#1f2937", "accent_color": "#2563eb"],
            "title": title, "locale": "en", "content": html, "logout": "/admin/console/logout",
        ]
        if let csrf {
            layout["user"] = "platform admin"
            layout["csrf"] = csrf
            layout["nav"] = [("Tenants", "/admin/console"), ("Onboard", "/admin/console/onboard"), ("Plugins", "/admin/console/plugins")].map {
                ["label": $0.0, "path": $0.1, "current": $0.0 == title || ($0.0 == "Onboard" && title == "Onboard a tenant")] as [String: Any]
            }
        }
        return htmlResponse(ConsoleTemplates.library.render(layout, withTemplate: "layout") ?? "", status: status)
    }
}

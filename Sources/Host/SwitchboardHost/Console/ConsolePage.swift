import Foundation
import Hummingbird
import HTTPTypes
import NIOCore

/// One entry of the console's navigation bar: a host page or a plugin page the user may open.
struct ConsoleNavEntry: Sendable {
    let label: String
    let path: String
    let permission: String

    /// The host's own pages. Plugins add theirs through routes that carry a `nav` label.
    static let host: [ConsoleNavEntry] = [
        ConsoleNavEntry(label: "Inbox", path: "/console", permission: "conversations:read"),
        ConsoleNavEntry(label: "Contacts", path: "/console/contacts", permission: "contacts:read"),
        ConsoleNavEntry(label: "Settings", path: "/console/settings", permission: "tenant:admin"),
    ]

    /// The entries `identity` may open on `tenant`: the host's, then each plugin's in manifest order.
    static func entries(for tenant: Tenant, identity: Identity) -> [ConsoleNavEntry] {
        let plugins = tenant.routes.compactMap { route, _ -> ConsoleNavEntry? in
            guard route.method == "GET", let label = route.nav else { return nil }
            return ConsoleNavEntry(label: label, path: route.path, permission: route.permission)
        }
        return (host + plugins).filter { identity.can($0.permission) }
    }
}

/// Renders a console page inside the tenant's branded layout. `session` is the signed-in user, if any:
/// it brings the navigation, the user's name and the CSRF token every form of the page carries.
func page(_ tenant: Tenant, _ template: String, title: String, values: [String: Any], session: ConsoleSessions.Session?, current: String = "") -> Response {
    var context = values
    context["brand"] = brand(tenant)
    if let session { context["csrf"] = session.csrfToken }
    let content = ConsoleTemplates.library.render(context, withTemplate: template) ?? ""
    return page(tenant, html: content, title: title, session: session, current: current)
}

/// Wraps ready-made `html` (a host template's output or a plugin page) in the branded layout.
func page(_ tenant: Tenant, html: String, title: String, session: ConsoleSessions.Session?, current: String = "", status: HTTPResponse.Status = .ok) -> Response {
    var layout: [String: Any] = ["brand": brand(tenant), "title": title, "locale": String(tenant.manifest.locale.prefix(2)), "content": html]
    if let session {
        layout["user"] = session.identity.name
        layout["csrf"] = session.csrfToken
        layout["nav"] = ConsoleNavEntry.entries(for: tenant, identity: session.identity).map { entry -> [String: Any] in
            ["label": entry.label, "path": entry.path, "current": entry.path == current]
        }
    }
    return htmlResponse(ConsoleTemplates.library.render(layout, withTemplate: "layout") ?? "", status: status)
}

/// An HTML response with the console's security headers: scripts and styles only from the host, no framing.
func htmlResponse(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[HTTPField.Name("Content-Security-Policy")!] =
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
    headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
    headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
}

/// The tenant's branding as the templates see it. The logo is the tenant folder's `logo.svg`/`logo.png`
/// served by the host, else the manifest's `logo_url`.
private func brand(_ tenant: Tenant) -> [String: Any] {
    let branding = tenant.manifest.branding
    let logo = tenant.logoFile != nil ? "/console/assets/logo" : (branding.logoURL ?? "")
    return [
        "name": branding.name, "logo_url": logo, "primary_color": branding.primaryColor, "accent_color": branding.accentColor,
        "email_sender": branding.emailSender ?? "",
    ]
}

import Foundation
import Hummingbird
import NIOCore

/// Signs a request to a plugin's console page in: the tenant's session cookie, the route's permission,
/// and for a POST the CSRF token of the posted form.
enum ConsolePageAccess {
    static func session(_ request: Request, tenant: Tenant, permission: String, body: ByteBuffer) async throws -> ConsoleSessions.Session {
        guard let session = try await ConsoleSessions.session(of: request, tenant: tenant) else { throw ConsoleRedirect(location: "/console/login") }
        guard session.identity.can(permission) else {
            throw Problem(status: .forbidden, title: "Forbidden", detail: "Your role cannot open this page (it needs \(permission)).")
        }
        if request.method != .get && request.method != .head {
            try ConsoleForms.requireCSRF(ConsoleForms.fields(body), expected: session.csrfToken)
        }
        return session
    }
}

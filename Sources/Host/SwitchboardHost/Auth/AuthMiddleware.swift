import Foundation
import Hummingbird
import HTTPTypes

/// Resolves `Authorization: Bearer <token>` against the request's tenant. A token of another
/// tenant finds nothing here, so it is a 401, never data. Routes then demand a permission.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let tenant = context.tenant, let header = request.headers[.authorization] else {
            return try await next(request, context)
        }
        guard header.hasPrefix("Bearer ") else {
            throw Problem.unauthorized("Use Authorization: Bearer <API token>.")
        }
        let bearer = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        let credentials = tenant.credentials
        let roles = tenant.roles
        let identity = try await tenant.database.perform {
            try credentials.authenticate(tenantID: tenant.slug, bearer: bearer, roles: roles)
        }
        guard let identity else { throw Problem.unauthorized("The token is not valid for this tenant.") }
        var context = context
        context.identity = identity
        context.logger[metadataKey: "actor"] = "\(identity.actor)"
        return try await next(request, context)
    }
}

extension AppRequestContext {
    /// The caller, if it has `permission`: 401 without a valid token, 403 with too little permission.
    @discardableResult
    public func require(_ permission: String) throws -> Identity {
        guard let identity else { throw Problem.unauthorized("This endpoint needs a bearer token with \(permission).") }
        guard identity.can(permission) else {
            throw Problem(status: .forbidden, title: "Forbidden", detail: "Role \(identity.role) lacks the permission \(permission).")
        }
        return identity
    }
}

extension Problem {
    static func unauthorized(_ detail: String) -> Problem {
        Problem(status: .unauthorized, title: "Unauthorized", detail: detail)
    }
}

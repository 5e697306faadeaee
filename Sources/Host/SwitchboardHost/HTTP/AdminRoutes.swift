import Foundation
import Hummingbird
import NIOCore
import SwitchboardJSON

/// The platform admin API under `/admin/v1`, guarded by `SWITCHBOARD_ADMIN_TOKEN`.
struct AdminRoutes {
    let registry: TenantRegistry
    /// The platform admin token; `nil` disables the admin API.
    let adminToken: String?

    func register(on router: Router<AppRequestContext>) {
        let admin = router.group("/admin/v1").add(middleware: AdminAuthMiddleware(token: adminToken))
        // Handlers that reach the database run their blocking calls through `perform`.
        let database = registry.services.database

        admin.get("/tenants") { _, _ -> Response in
            try JSONResponse(["tenants": try await database.perform { try registry.statuses() }]).response()
        }

        admin.post("/tenants") { request, context -> Response in
            var request = request
            let yaml = try await manifestText(&request, context)
            let status = try await database.perform {
                let tenant = try registry.onboard(yaml: yaml, actor: "platform-admin")
                return try registry.status(slug: tenant.slug)
            }
            return try JSONResponse(status, status: .created).response()
        }

        admin.delete("/tenants/{slug}") { _, context -> Response in
            let slug = try context.parameters.require("slug")
            guard try await database.perform({ try registry.disable(slug: slug, actor: "platform-admin") }) else {
                throw Problem(status: .notFound, title: "Unknown tenant", detail: "No tenant has the slug \"\(slug)\".")
            }
            return Response(status: .noContent)
        }

        // Hot swap: the plugin's library is loaded again from the plugins directory, and the tenant's new requests
        // go to a new instance while those in flight finish on the old one.
        admin.post("/tenants/{slug}/plugins/{id}/reload") { _, context -> Response in
            let slug = try context.parameters.require("slug"), id = try context.parameters.require("id")
            guard let tenant = registry.tenant(slug: slug) else {
                throw Problem(status: .notFound, title: "Unknown tenant", detail: "No running tenant has the slug \"\(slug)\".")
            }
            guard tenant.instance(of: id) != nil else {
                throw Problem(status: .notFound, title: "Unknown plugin", detail: "Tenant \(slug) does not run plugin \"\(id)\".")
            }
            struct Reloaded: Encodable { let tenant: String; let plugin: LoadedPlugin.Description; let isolation: String }
            do {
                let instance = try await database.perform { try registry.reload(tenant, pluginID: id, actor: "platform-admin") }
                return try JSONResponse(Reloaded(tenant: slug, plugin: instance.plugin.summary, isolation: instance.isolation.name)).response()
            } catch let error as PluginLoadError {
                throw Problem(status: .unprocessableContent, title: "Plugin library refused", detail: error.description)
            }
        }

        admin.get("/plugins") { _, _ -> Response in
            struct Failure: Encodable { let path: String; let error: String }
            struct Listing: Encodable { let plugins: [LoadedPlugin.Description]; let refused: [Failure] }
            return try JSONResponse(Listing(
                plugins: registry.catalog.all.map(\.summary),
                refused: registry.catalog.failures.map { Failure(path: $0.path, error: $0.error.description) })).response()
        }
    }

    /// The manifest YAML: the raw body (`application/yaml`, `text/yaml`, `text/plain`) or `{"manifest": "…"}`.
    private func manifestText(_ request: inout Request, _ context: AppRequestContext) async throws -> String {
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
            throw Problem(status: .badRequest, title: "Bad request", detail: "The body is not valid UTF-8.")
        }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") {
            guard let manifest = (try? JSON.parse(text))?["manifest"]?.stringValue else {
                throw Problem(
                    status: .badRequest, title: "Bad request",
                    detail: "A JSON body must be {\"manifest\": \"<the YAML text>\"}; or send the YAML itself as application/yaml.")
            }
            return manifest
        }
        return text
    }
}

/// Requires `Authorization: Bearer <SWITCHBOARD_ADMIN_TOKEN>`.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !token.isEmpty else {
            throw Problem(status: .forbidden, title: "Admin API disabled", detail: "Set SWITCHBOARD_ADMIN_TOKEN to enable the platform admin API.")
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            Crypto.constantTimeEqual(Array(header.dropFirst(7).utf8), Array(token.utf8))
        else {
            throw Problem(status: .unauthorized, title: "Unauthorized", detail: "A valid platform admin bearer token is required.")
        }
        return try await next(request, context)
    }
}

import Hummingbird
import SwitchboardJSON

/// `GET /api/v1/tenant` (the tenant behind this domain, its branding and plugins) and
/// `GET /api/v1/openapi.json`; both public, as a login page needs them.
struct TenantRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/tenant", "The tenant behind this domain: branding and loaded plugins", tag: "tenant", permission: nil,
                response: "Tenant") { _, context in
            let tenant = try context.requireTenant()
            let manifest = tenant.manifest
            return try json(TenantSummary(
                slug: manifest.slug, name: manifest.name, domains: manifest.domains, locale: manifest.locale,
                timezone: manifest.timezone, branding: manifest.branding,
                plugins: tenant.instances.map { $0.plugin.summary }))
        }

        api.add(.get, "/api/v1/openapi.json", "This OpenAPI 3.1 document, with the tenant's plugin routes", tag: "tenant",
                permission: nil) { [api] _, context in
            try json(OpenAPIDocument.build(routes: api.described, tenant: context.tenant))
        }
    }

    struct TenantSummary: Encodable {
        let slug: String
        let name: String
        let domains: [String]
        let locale: String
        let timezone: String
        let branding: TenantManifest.Branding
        let plugins: [LoadedPlugin.Description]
    }
}

import Hummingbird
import SwitchboardJSON

/// `GET /api/v1/tenant`: the tenant behind this domain, its branding and its plugins.
struct TenantRoutes {
    func register(on router: Router<AppRequestContext>) {
        router.get("/api/v1/tenant") { _, context -> Response in
            let tenant = try context.requireTenant()
            let manifest = tenant.manifest
            return try JSONResponse(TenantSummary(
                slug: manifest.slug, name: manifest.name, domains: manifest.domains, locale: manifest.locale,
                timezone: manifest.timezone, branding: manifest.branding,
                plugins: tenant.instances.map { $0.plugin.summary })).response()
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

import Hummingbird

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers and every active tenant runs).
/// Both are cheap whatever the number of tenants: load balancers poll them.
struct HealthRoutes {
    let registry: TenantRegistry

    func register(on router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in ["status": "ok"] }
        router.get("/readyz") { _, _ -> Response in
            let database = registry.services.database
            var problems: [String] = []
            do {
                _ = try await database.perform { try database.read { try $0.query("SELECT 1 AS one") } }
            } catch {
                problems.append("database: \(error)")
            }
            for (slug, problem) in registry.startProblems.sorted(by: { $0.key < $1.key }) {
                problems.append("tenant \(slug): \(problem)")
            }
            guard problems.isEmpty else {
                throw Problem(status: .serviceUnavailable, title: "Not ready", detail: problems.joined(separator: "; "))
            }
            struct Ready: Encodable { let status: String; let tenants: Int }
            return try JSONResponse(Ready(status: "ready", tenants: registry.active.count)).response()
        }
    }
}

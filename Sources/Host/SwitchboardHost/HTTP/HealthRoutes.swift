import Hummingbird

/// `GET /healthz` (the process answers) and `GET /readyz` (the database answers and every tenant's plugins run).
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
            let statuses = (try? await database.perform { try registry.statuses() }) ?? []
            for status in statuses where status.status == "active" && !status.running {
                problems.append("tenant \(status.slug): \(status.problem ?? "not running")")
            }
            guard problems.isEmpty else {
                throw Problem(status: .serviceUnavailable, title: "Not ready", detail: problems.joined(separator: "; "))
            }
            struct Ready: Encodable { let status: String; let tenants: Int }
            return try JSONResponse(Ready(status: "ready", tenants: registry.active.count)).response()
        }
    }
}

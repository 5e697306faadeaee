import Hummingbird

/// `GET /api/v1/audit`: the tenant's audit log, newest first.
struct AuditRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/audit", "List audit events, newest first, optionally of one action", tag: "audit", permission: "audit:read",
                response: "AuditList") { request, context in
            let action = request.uri.queryParameters.get("action")
            let limit = Int(request.uri.queryParameters.get("limit") ?? "100") ?? 100
            return try json(["data": try await context.perform { try $0.services.audit.entries(tenantID: $0.slug, action: action, limit: limit) }])
        }
    }
}

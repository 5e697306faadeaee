import Foundation
import Hummingbird
import SwitchboardJSON

/// The tenant admin's settings: users and roles, API tokens (a new secret is shown once), automation rules
/// (switched on and off), templates, and the jobs with the dead-letter list and its retry.
struct ConsoleSettingsRoutes {
    static let permission = "tenant:admin"

    func register(on console: RouterGroup<AppRequestContext>) {
        console.get("/settings") { request, context -> Response in
            let (tenant, session) = try ConsoleRoutes.signedIn(context, permission: Self.permission)
            let notice = request.uri.queryParameters.get("notice").map { String($0) } ?? ""
            return try await settingsPage(tenant, session, context: context, notice: notice)
        }

        console.post("/settings/users") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (tenant, session) = try ConsoleRoutes.signedIn(context, form: form, permission: Self.permission)
            let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces), name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
            let role = form["role"] ?? "", password = form["password"] ?? ""
            var problems: [String] = []
            if email.range(of: #"^[^@\s]+@[^@\s]+\.[^@\s]+$"#, options: .regularExpression) == nil { problems.append("The email address is not valid.") }
            if name.isEmpty { problems.append("Give the user a name.") }
            if tenant.roles.permissions(of: role) == nil { problems.append("Unknown role \(role).") }
            if password.count < 12 { problems.append("The password must be at least 12 characters.") }
            guard problems.isEmpty else {
                return try await settingsPage(tenant, session, context: context, errors: problems, status: .unprocessableContent)
            }
            do {
                _ = try await tenant.database.perform {
                    try tenant.credentials.createUser(tenantID: tenant.slug, email: email, name: name, role: role, password: password, actor: session.identity.actor)
                }
            } catch is CredentialStore.UserExists {
                return try await settingsPage(tenant, session, context: context, errors: ["\(email) already has an account."], status: .conflict)
            }
            return ConsoleRoutes.redirect("/console/settings?notice=" + ConsoleForms.queryValue("Created user \(email) (\(role))."))
        }

        console.post("/settings/users/{id}/role") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (tenant, session) = try ConsoleRoutes.signedIn(context, form: form, permission: Self.permission)
            let id = try context.parameter("id"), role = form["role"] ?? ""
            guard tenant.roles.permissions(of: role) != nil else { throw Problem(status: .unprocessableContent, title: "Unknown role", detail: "There is no role \(role).") }
            guard id != session.identity.id else { throw Problem(status: .conflict, title: "Not your own role", detail: "Ask another admin to change your role.") }
            guard try await tenant.database.perform({ try tenant.credentials.setRole(tenantID: tenant.slug, userID: id, role: role, actor: session.identity.actor) }) else {
                throw Problem.notFound("User \(id)")
            }
            return ConsoleRoutes.redirect("/console/settings?notice=" + ConsoleForms.queryValue("Role changed to \(role)."))
        }

        console.post("/settings/tokens") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (tenant, session) = try ConsoleRoutes.signedIn(context, form: form, permission: Self.permission)
            let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces), role = form["role"] ?? ""
            guard !name.isEmpty, tenant.roles.permissions(of: role) != nil else {
                return try await settingsPage(tenant, session, context: context, errors: ["A token needs a name and a known role."], status: .unprocessableContent)
            }
            let created = try await tenant.database.perform {
                try tenant.credentials.createToken(tenantID: tenant.slug, name: name, role: role, actor: session.identity.actor)
            }
            // The secret is in this response only; it is stored as a hash.
            return try await settingsPage(tenant, session, context: context, secret: ["name": created.name, "role": created.role, "secret": created.secret])
        }

        console.post("/settings/tokens/{id}/revoke") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (tenant, session) = try ConsoleRoutes.signedIn(context, form: form, permission: Self.permission)
            let id = try context.parameter("id")
            guard try await tenant.database.perform({ try tenant.credentials.revokeToken(tenantID: tenant.slug, idOrPrefix: id, actor: session.identity.actor) }) else {
                throw Problem.notFound("Token \(id)")
            }
            return ConsoleRoutes.redirect("/console/settings?notice=" + ConsoleForms.queryValue("Token revoked."))
        }

        console.post("/settings/rules/{id}") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (tenant, session) = try ConsoleRoutes.signedIn(context, form: form, permission: Self.permission)
            let id = try context.parameter("id"), active = form["active"] == "true"
            let store = AutomationStore(database: tenant.database)
            try await tenant.database.perform {
                guard var rule = try store.rule(tenantID: tenant.slug, id: id) else { throw Problem.notFound("Rule \(id)") }
                rule.active = active
                try store.save(tenantID: tenant.slug, rule: rule)
                try tenant.services.audit.record(tenantID: tenant.slug, actor: session.identity.actor, action: active ? "automation_rule_enabled" : "automation_rule_disabled", subject: id)
            }
            return ConsoleRoutes.redirect("/console/settings?notice=" + ConsoleForms.queryValue(active ? "Rule switched on." : "Rule switched off."))
        }

        console.post("/settings/jobs/{id}/retry") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (tenant, session) = try ConsoleRoutes.signedIn(context, form: form, permission: Self.permission)
            let id = try context.parameter("id")
            let result = try await tenant.database.perform { try tenant.services.jobs.retry(tenantID: tenant.slug, id: id, actor: session.identity.actor, now: Clock.nowMillis()) }
            let notice: String
            switch result {
            case .retried(let job): notice = "Job \(job.kind) queued again."
            case .notFound: throw Problem.notFound("Job \(id)")
            case .notRetryable(let status): notice = "A \(status) job cannot be retried."
            case .uniqueKeyTaken: notice = "Another pending job already does this work."
            }
            return ConsoleRoutes.redirect("/console/settings?notice=" + ConsoleForms.queryValue(notice) + "#jobs")
        }
    }

    private func settingsPage(
        _ tenant: Tenant, _ session: ConsoleSessions.Session, context: AppRequestContext, notice: String = "", errors: [String] = [],
        secret: [String: String]? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let slug = tenant.slug
        let data = try await tenant.database.perform { () -> ([CredentialStore.User], [CredentialStore.TokenInfo], [AutomationRule], [MessageTemplate], [JobRecord], [JobRecord]) in
            (try tenant.credentials.users(tenantID: slug), try tenant.credentials.tokens(tenantID: slug),
             try AutomationStore(database: tenant.database).rules(tenantID: slug),
             try tenant.services.templates.list(tenantID: slug, filter: [:], page: PageRequest(limit: 200)).data,
             try tenant.services.jobs.list(tenantID: slug, pluginID: nil, status: "dead", kind: nil, limit: 100),
             try tenant.services.jobs.list(tenantID: slug, pluginID: nil, status: "pending", kind: nil, limit: 20))
        }
        let (users, tokens, rules, templates, dead, pending) = data
        let roles = tenant.roles.roles.keys.sorted()
        let values: [String: Any] = [
            "notice": notice, "errors": errors, "secret": secret as Any,
            "users": users.map { user in
                ["id": user.id, "email": user.email, "name": user.name, "role": user.role, "self": user.id == session.identity.id,
                 "roles": roles.map { ["name": $0, "selected": $0 == user.role] }] as [String: Any]
            },
            "roles": roles,
            "tokens": tokens.map { ["id": $0.id, "name": $0.name, "role": $0.role, "prefix": $0.prefix, "created": ConsoleRoutes.time($0.createdAt, tenant),
                                    "used": $0.lastUsedAt.map { ConsoleRoutes.time($0, tenant) } ?? "never", "revoked": $0.revokedAt != nil] as [String: Any] },
            "rules": rules.map { ["id": $0.id, "name": $0.name, "event": $0.event, "conditions": $0.conditions.count, "actions": $0.actions.count,
                                  "active": $0.active, "source": $0.source] as [String: Any] },
            "templates": templates.map { ["name": $0.name, "language": $0.language, "channel": $0.channel, "category": $0.category,
                                          "approval": $0.approvalStatus, "active": $0.active, "usage": $0.usageCount] as [String: Any] },
            "dead": dead.map { ["id": $0.id, "kind": $0.kind, "plugin": $0.pluginID ?? "host", "attempts": $0.attempts, "error": $0.lastError ?? "",
                                "when": ConsoleRoutes.time($0.updatedAt, tenant)] as [String: Any] },
            "pending": pending.map { ["kind": $0.kind, "plugin": $0.pluginID ?? "host", "run_at": ConsoleRoutes.time($0.runAt, tenant)] as [String: Any] },
        ]
        var response = page(tenant, "settings", title: "Settings", values: values, session: session, current: "/console/settings")
        response.status = status
        if secret != nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

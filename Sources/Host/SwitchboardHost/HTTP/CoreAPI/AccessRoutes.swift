import Hummingbird
import SwitchboardJSON

/// `/api/v1/tokens` and `/api/v1/users`: API tokens (shown once) and users with roles, for tenant admins.
struct AccessRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/tokens", "List API tokens (never their secrets)", tag: "access", permission: "tenant:admin",
                response: "TokenList") { _, context in
            try json(["data": try await context.perform { try $0.services.credentials.tokens(tenantID: $0.slug) }])
        }

        api.add(.post, "/api/v1/tokens", "Create an API token; the secret is in this response only", tag: "access",
                permission: "tenant:admin", request: "TokenInput", response: "CreatedToken", status: 201) { request, context in
            let tenant = try context.requireTenant()
            var body = try await JSONBody.read(request, context, allowed: ["name", "role"])
            let name = body.string("name", required: true, maxLength: 100) ?? ""
            let role = body.string("role", required: true, oneOf: Set(tenant.roles.roles.keys)) ?? ""
            try body.finish()
            let actor = context.identity?.actor ?? "api"
            return try json(try await context.perform { try $0.services.credentials.createToken(tenantID: $0.slug, name: name, role: role, actor: actor) }, status: .created)
        }

        api.add(.delete, "/api/v1/tokens/{id}", "Revoke a token by id or prefix", tag: "access", permission: "tenant:admin", status: 204) { _, context in
            let id = try context.parameter("id")
            let actor = context.identity?.actor ?? "api"
            guard try await context.perform({ try $0.services.credentials.revokeToken(tenantID: $0.slug, idOrPrefix: id, actor: actor) }) else {
                throw Problem.notFound("Token \(id)")
            }
            return Response(status: .noContent)
        }

        api.add(.get, "/api/v1/users", "List users and their roles", tag: "access", permission: "tenant:admin", response: "UserList") { _, context in
            try json(["data": try await context.perform { try $0.services.credentials.users(tenantID: $0.slug) }])
        }

        api.add(.post, "/api/v1/users", "Create a user", tag: "access", permission: "tenant:admin", request: "UserInput",
                response: "User", status: 201) { request, context in
            let tenant = try context.requireTenant()
            var body = try await JSONBody.read(request, context, allowed: ["email", "name", "role", "password"])
            let email = body.string("email", required: true, maxLength: 254, pattern: Formats.email) ?? ""
            let name = body.string("name", required: true, maxLength: 200) ?? ""
            let role = body.string("role", required: true, oneOf: Set(tenant.roles.roles.keys)) ?? ""
            let password = body.string("password", required: true, maxLength: 200) ?? ""
            if password.count < 12 { body.fail("password", "must be at least 12 characters") }
            try body.finish()
            let actor = context.identity?.actor ?? "api"
            let user = try await context.perform { tenant -> CredentialStore.User in
                do {
                    return try tenant.services.credentials.createUser(tenantID: tenant.slug, email: email, name: name, role: role, password: password, actor: actor)
                } catch let exists as CredentialStore.UserExists {
                    throw Problem(status: .conflict, title: "Conflict", detail: "A user with email \(exists.email) exists.")
                }
            }
            return try json(user, status: .created)
        }

        api.add(.patch, "/api/v1/users/{id}", "Change a user's role", tag: "access", permission: "tenant:admin", request: "RoleInput",
                response: "UserList") { request, context in
            let tenant = try context.requireTenant()
            let id = try context.parameter("id")
            var body = try await JSONBody.read(request, context, allowed: ["role"])
            let role = body.string("role", required: true, oneOf: Set(tenant.roles.roles.keys)) ?? ""
            try body.finish()
            let actor = context.identity?.actor ?? "api"
            guard try await context.perform({ try $0.services.credentials.setRole(tenantID: $0.slug, userID: id, role: role, actor: actor) }) else {
                throw Problem.notFound("User \(id)")
            }
            return try json(["data": try await context.perform { try $0.services.credentials.users(tenantID: $0.slug) }])
        }
    }
}

import Hummingbird
import SwitchboardJSON

/// `/api/v1/automation_rules`: the tenant's rules (manifest rules are read-only here) and their run log.
struct AutomationRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/automation_rules", "List automation rules", tag: "automation", permission: "automation:read",
                response: "AutomationRuleList") { _, context in
            try json(["data": try await context.perform { try $0.services.automation.rules(tenantID: $0.slug) }])
        }

        api.add(.post, "/api/v1/automation_rules", "Create an automation rule", tag: "automation", permission: "automation:write",
                request: "AutomationRuleInput", response: "AutomationRule", status: 201) { request, context in
            let body = try await JSONBody.read(request, context, allowed: ["name", "event", "conditions", "actions", "active"])
            try body.finish()
            let rule = try Self.parse(.object(body.object), id: Identifier.make())
            try await context.perform { try $0.services.automation.save(tenantID: $0.slug, rule: rule) }
            return try json(rule, status: .created)
        }

        api.add(.get, "/api/v1/automation_rules/{id}", "Get a rule", tag: "automation", permission: "automation:read",
                response: "AutomationRule") { _, context in
            let id = try context.parameter("id")
            guard let rule = try await context.perform({ try $0.services.automation.rule(tenantID: $0.slug, id: id) }) else {
                throw Problem.notFound("Rule \(id)")
            }
            return try json(rule)
        }

        api.add(.patch, "/api/v1/automation_rules/{id}", "Change a rule (fields given replace the stored ones)", tag: "automation",
                permission: "automation:write", request: "AutomationRuleInput", response: "AutomationRule") { request, context in
            let id = try context.parameter("id")
            let body = try await JSONBody.read(request, context, allowed: ["name", "event", "conditions", "actions", "active"])
            try body.finish()
            let updated = try await context.perform { tenant -> AutomationRule? in
                guard let existing = try tenant.services.automation.rule(tenantID: tenant.slug, id: id) else { return nil }
                try Self.refuseManifestRule(existing)
                var definition = existing.definition.objectValue ?? [:]
                for (key, value) in body.object { definition[key] = value }
                let rule = try Self.parse(.object(definition), id: id)
                try tenant.services.automation.save(tenantID: tenant.slug, rule: rule)
                return rule
            }
            guard let updated else { throw Problem.notFound("Rule \(id)") }
            return try json(updated)
        }

        api.add(.delete, "/api/v1/automation_rules/{id}", "Delete a rule", tag: "automation", permission: "automation:write", status: 204) { _, context in
            let id = try context.parameter("id")
            let deleted = try await context.perform { tenant -> Bool in
                guard let existing = try tenant.services.automation.rule(tenantID: tenant.slug, id: id) else { return false }
                try Self.refuseManifestRule(existing)
                return try tenant.services.automation.delete(tenantID: tenant.slug, id: id)
            }
            guard deleted else { throw Problem.notFound("Rule \(id)") }
            return Response(status: .noContent)
        }

        api.add(.get, "/api/v1/automation_rules/{id}/runs", "List a rule's runs and their outcomes", tag: "automation",
                permission: "automation:read", response: "AutomationRunList") { _, context in
            let id = try context.parameter("id")
            return try json(["data": try await context.perform { try $0.services.automation.runs(tenantID: $0.slug, ruleID: id) }])
        }
    }

    static func parse(_ definition: JSON, id: String) throws -> AutomationRule {
        let (rule, problems) = AutomationRule.parse(definition, path: "", id: id, source: "api")
        guard let rule else {
            throw Problem(
                status: .unprocessableContent, title: "Validation failed", detail: "The rule is invalid.",
                errors: problems.map { .init(path: $0.path.hasPrefix(".") ? String($0.path.dropFirst()) : $0.path, message: $0.message) })
        }
        return rule
    }

    static func refuseManifestRule(_ rule: AutomationRule) throws {
        guard rule.source == "manifest" else { return }
        throw Problem(status: .conflict, title: "Conflict", detail: "Rule \(rule.name) comes from the tenant manifest; change it there.")
    }
}

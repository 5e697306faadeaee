import Hummingbird
import SwitchboardJSON

/// `/api/v1/templates`: message templates per channel and language, with WhatsApp approval state and usage counts.
struct TemplateRoutes {
    static let fields: Set<String> = [
        "name", "channel", "language", "category", "subject", "body", "html_body", "approval_status", "business_entity", "active",
    ]

    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/templates", "List templates by channel, language, category, approval_status or business_entity",
                tag: "templates", permission: "templates:read", response: "TemplatePage") { request, context in
            let page = try request.pageRequest()
            let filter = request.filters(["channel", "language", "category", "approval_status", "business_entity", "name"])
            return try json(try await context.perform { try $0.services.templates.list(tenantID: $0.slug, filter: filter, page: page) })
        }

        api.add(.post, "/api/v1/templates", "Create a template; its variables are the {{name}} placeholders of the body", tag: "templates",
                permission: "templates:write", request: "TemplateInput", response: "Template", status: 201) { request, context in
            let tenant = try context.requireTenant()
            var body = try await JSONBody.read(request, context, allowed: Self.fields)
            let name = body.string("name", required: true, pattern: #"^[a-z0-9_]{1,100}$"#) ?? ""
            let channel = body.string("channel", required: true, oneOf: MessageTemplate.channels) ?? ""
            let language = body.string("language", pattern: #"^[a-z]{2}(_[A-Z]{2})?$"#) ?? String(tenant.manifest.locale.prefix(2))
            let category = body.string("category", maxLength: 50) ?? "utility"
            let text = body.string("body", required: true, maxLength: 4096) ?? ""
            let defaultApproval = channel == "whatsapp" ? "pending" : "not_required"
            let template = MessageTemplate(
                id: Identifier.make(), name: name, channel: channel, language: language, category: category,
                subject: body.string("subject", maxLength: 300), body: text, htmlBody: body.string("html_body", maxLength: 100_000),
                variables: MessageTemplate.placeholders(in: text),
                approvalStatus: body.string("approval_status", oneOf: MessageTemplate.approvalStatuses) ?? defaultApproval,
                businessEntity: body.string("business_entity", maxLength: 100), active: body.bool("active") ?? true, usageCount: 0,
                createdAt: Clock.nowMillis(), updatedAt: Clock.nowMillis())
            try body.finish()
            try await context.perform { tenant in
                if try tenant.services.templates.exact(tenantID: tenant.slug, name: name, channel: channel, language: language) != nil {
                    throw Problem(status: .conflict, title: "Conflict", detail: "Template \(name) already exists for \(channel)/\(language).")
                }
                try tenant.services.templates.create(tenantID: tenant.slug, template: template)
            }
            return try json(template, status: .created)
        }

        api.add(.get, "/api/v1/templates/{id}", "Get a template", tag: "templates", permission: "templates:read", response: "Template") { _, context in
            let id = try context.parameter("id")
            guard let template = try await context.perform({ try $0.services.templates.find(tenantID: $0.slug, id: id) }) else {
                throw Problem.notFound("Template \(id)")
            }
            return try json(template)
        }

        api.add(.patch, "/api/v1/templates/{id}", "Update a template's text, approval state or activity", tag: "templates",
                permission: "templates:write", request: "TemplateInput", response: "Template") { request, context in
            let id = try context.parameter("id")
            var body = try await JSONBody.read(request, context, allowed: Self.fields.subtracting(["name", "channel", "language"]))
            let text = body.string("body", maxLength: 4096)
            let approval = body.string("approval_status", oneOf: MessageTemplate.approvalStatuses)
            let category = body.string("category", maxLength: 50), subject = body.string("subject", maxLength: 300)
            let html = body.string("html_body", maxLength: 100_000), entity = body.string("business_entity", maxLength: 100)
            let active = body.bool("active")
            try body.finish()
            let given = Set(body.object.keys)
            let updated = try await context.perform { tenant -> MessageTemplate? in
                guard var template = try tenant.services.templates.find(tenantID: tenant.slug, id: id) else { return nil }
                if let text {
                    template.body = text
                    template.variables = MessageTemplate.placeholders(in: text)
                }
                if let approval { template.approvalStatus = approval }
                if let category { template.category = category }
                if given.contains("subject") { template.subject = subject }
                if given.contains("html_body") { template.htmlBody = html }
                if given.contains("business_entity") { template.businessEntity = entity }
                if let active { template.active = active }
                try tenant.services.templates.save(tenantID: tenant.slug, template: template)
                return try tenant.services.templates.find(tenantID: tenant.slug, id: id)
            }
            guard let updated else { throw Problem.notFound("Template \(id)") }
            return try json(updated)
        }
    }
}

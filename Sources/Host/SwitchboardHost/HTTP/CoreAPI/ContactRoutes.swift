import Foundation
import Hummingbird
import SwitchboardJSON

/// `/api/v1/contacts`: contacts with typed custom attributes and labels.
struct ContactRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/contacts", "List contacts, filtered by label, attribute[name]=value, q, phone or email", tag: "contacts",
                permission: "contacts:read", response: "ContactPage") { request, context in
            let page = try request.pageRequest()
            let label = request.uri.queryParameters.get("label")
            let search = request.uri.queryParameters.get("q")
            var attributes: [String: String] = [:]
            for (rawKey, value) in request.uri.queryParameters {
                let key = String(rawKey).removingPercentEncoding ?? String(rawKey)
                guard key.hasPrefix("attribute["), key.hasSuffix("]") else { continue }
                attributes[String(key.dropFirst("attribute[".count).dropLast())] = String(value).removingPercentEncoding ?? String(value)
            }
            let phone = request.uri.queryParameters.get("phone"), email = request.uri.queryParameters.get("email")
            let attributeFilter = attributes
            return try json(try await context.perform { tenant in
                if let phone { return Page(data: [try tenant.services.contacts.find(tenantID: tenant.slug, .phone(phone))].compactMap { $0 }, nextCursor: nil) }
                if let email { return Page(data: [try tenant.services.contacts.find(tenantID: tenant.slug, .email(email))].compactMap { $0 }, nextCursor: nil) }
                return try tenant.services.contacts.list(tenantID: tenant.slug, label: label, attributes: attributeFilter, search: search, page: page)
            })
        }

        api.add(.post, "/api/v1/contacts", "Create a contact", tag: "contacts", permission: "contacts:write",
                request: "ContactInput", response: "Contact", status: 201) { request, context in
            let tenant = try context.requireTenant()
            var body = try await JSONBody.read(request, context, allowed: ["name", "phone", "email", "attributes", "labels"])
            let name = body.string("name", maxLength: 200)
            let phone = body.string("phone", pattern: Formats.e164)
            let email = body.string("email", maxLength: 254, pattern: Formats.email)
            let attributes = body.objectField("attributes") ?? [:]
            let labels = body.stringArray("labels", pattern: Formats.label) ?? []
            if name == nil && phone == nil && email == nil { body.fail("name", "give at least a name, phone or email") }
            Self.checkAttributes(attributes, tenant: tenant, body: &body)
            try body.finish()
            let actor = context.actor
            let contact = try await context.perform { tenant -> Contact in
                let contacts = tenant.services.contacts
                if let phone, try contacts.find(tenantID: tenant.slug, .phone(phone)) != nil {
                    throw Problem(status: .conflict, title: "Conflict", detail: "A contact with phone \(phone) exists.")
                }
                if let email, try contacts.find(tenantID: tenant.slug, .email(email)) != nil {
                    throw Problem(status: .conflict, title: "Conflict", detail: "A contact with email \(email) exists.")
                }
                let contact = try tenant.database.transaction { connection in
                    let created = try contacts.create(
                        tenantID: tenant.slug, name: name, phone: phone, email: email, attributes: attributes, actor: actor, in: connection)
                    guard !labels.isEmpty else { return created }
                    return try contacts.update(
                        tenantID: tenant.slug, id: created.id, attributes: [:], addLabels: labels, removeLabels: [], actor: actor, in: connection
                    ) ?? created
                }
                tenant.automation.settle(contactID: contact.id, tenant: tenant)
                return try contacts.find(tenantID: tenant.slug, .id(contact.id)) ?? contact
            }
            return try json(contact, status: .created)
        }

        api.add(.get, "/api/v1/contacts/{id}", "Get a contact", tag: "contacts", permission: "contacts:read", response: "Contact") { _, context in
            let id = try context.parameter("id")
            guard let contact = try await context.perform({ try $0.services.contacts.find(tenantID: $0.slug, .id(id)) }) else {
                throw Problem.notFound("Contact \(id)")
            }
            return try json(contact)
        }

        api.add(.patch, "/api/v1/contacts/{id}", "Update a contact's name, phone, email or attributes", tag: "contacts",
                permission: "contacts:write", request: "ContactInput", response: "Contact") { request, context in
            let tenant = try context.requireTenant()
            let id = try context.parameter("id")
            var body = try await JSONBody.read(request, context, allowed: ["name", "phone", "email", "attributes"])
            let name = body.string("name", maxLength: 200), phone = body.string("phone", pattern: Formats.e164)
            let email = body.string("email", maxLength: 254, pattern: Formats.email)
            let attributes = body.objectField("attributes") ?? [:]
            Self.checkAttributes(attributes, tenant: tenant, body: &body)
            try body.finish()
            let nameChange: String?? = body.has("name") ? .some(name) : nil
            let phoneChange: String?? = body.has("phone") ? .some(phone) : nil
            let emailChange: String?? = body.has("email") ? .some(email) : nil
            return try json(try await Self.change(context, id, as: context.actor) { tenant, actor in
                try tenant.database.transaction { connection in
                    let contacts = tenant.services.contacts
                    guard try contacts.updateFields(
                        tenantID: tenant.slug, id: id, name: nameChange, phone: phoneChange, email: emailChange, actor: actor, in: connection) != nil
                    else { return nil }
                    return try contacts.update(
                        tenantID: tenant.slug, id: id, attributes: attributes, addLabels: [], removeLabels: [], actor: actor, in: connection)
                }
            })
        }

        api.add(.delete, "/api/v1/contacts/{id}", "Delete a contact", tag: "contacts", permission: "contacts:write", status: 204) { _, context in
            let id = try context.parameter("id")
            let actor = context.actor
            guard try await context.perform({ tenant in
                let deleted = try tenant.services.contacts.delete(tenantID: tenant.slug, id: id, actor: actor)
                if deleted { try tenant.services.audit.record(tenantID: tenant.slug, actor: actor.name, action: "contact_deleted", subject: id) }
                return deleted
            }) else { throw Problem.notFound("Contact \(id)") }
            return Response(status: .noContent)
        }

        api.add(.patch, "/api/v1/contacts/{id}/attributes", "Merge custom attributes (null removes one)", tag: "contacts",
                permission: "contacts:write", request: "Attributes", response: "Contact") { request, context in
            let tenant = try context.requireTenant()
            let id = try context.parameter("id")
            var body = try await JSONBody.read(request, context, allowed: nil)
            let attributes = body.object
            Self.checkAttributes(attributes, tenant: tenant, body: &body, prefix: "")
            try body.finish()
            return try json(try await Self.change(context, id, as: context.actor) { tenant, actor in
                try tenant.services.contacts.update(tenantID: tenant.slug, id: id, attributes: attributes, actor: actor)
            })
        }

        api.add(.post, "/api/v1/contacts/{id}/labels", "Add labels to a contact", tag: "contacts", permission: "labels:write",
                request: "LabelsInput", response: "Contact") { request, context in
            let id = try context.parameter("id")
            var body = try await JSONBody.read(request, context, allowed: ["labels"])
            let labels = body.stringArray("labels", pattern: Formats.label)
            if labels?.isEmpty ?? true { body.fail("labels", "list at least one label") }
            try body.finish()
            return try json(try await Self.change(context, id, as: context.actor) { tenant, actor in
                try tenant.services.contacts.update(tenantID: tenant.slug, id: id, addLabels: labels ?? [], actor: actor)
            })
        }

        api.add(.delete, "/api/v1/contacts/{id}/labels/{label}", "Remove a label from a contact", tag: "contacts",
                permission: "labels:write", response: "Contact") { _, context in
            let id = try context.parameter("id"), label = try context.parameter("label")
            return try json(try await Self.change(context, id, as: context.actor) { tenant, actor in
                try tenant.services.contacts.update(tenantID: tenant.slug, id: id, removeLabels: [label], actor: actor)
            })
        }
    }

    /// Applies `actor`'s change to a contact, runs the rules its events trigger, and returns the contact as they left it.
    static func change(
        _ context: AppRequestContext, _ id: String, as actor: Actor, _ work: @escaping @Sendable (Tenant, Actor) throws -> Contact?
    ) async throws -> Contact {
        let contact = try await context.perform { tenant -> Contact? in
            guard try work(tenant, actor) != nil else { return nil }
            tenant.automation.settle(contactID: id, tenant: tenant)
            return try tenant.services.contacts.find(tenantID: tenant.slug, .id(id))
        }
        guard let contact else { throw Problem.notFound("Contact \(id)") }
        return contact
    }

    /// Checks attribute values against the tenant's declared types.
    static func checkAttributes(_ attributes: [String: JSON], tenant: Tenant, body: inout JSONBody, prefix: String = "attributes.") {
        for (name, value) in attributes.sorted(by: { $0.key < $1.key }) {
            if let problem = AttributeSchema.problem(name: name, value: value, in: tenant.manifest.attributes.contact) {
                body.fail(prefix + name, problem)
            }
        }
    }
}

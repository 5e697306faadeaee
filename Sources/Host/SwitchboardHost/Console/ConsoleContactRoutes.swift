import Foundation
import Hummingbird
import SwitchboardJSON

/// The console's contacts: a searchable list, and a contact page with its typed attributes (edits checked
/// against the manifest's attribute types), its labels and its conversations.
struct ConsoleContactRoutes {
    func register(on console: RouterGroup<AppRequestContext>) {
        console.get("/contacts") { request, context -> Response in
            let (tenant, session) = try ConsoleRoutes.signedIn(context, permission: "contacts:read")
            let search = request.uri.queryParameters.get("q").map { String($0) }
            let contacts = try await context.perform { tenant in
                try tenant.services.contacts.list(tenantID: tenant.slug, label: nil, attributes: [:], search: search?.isEmpty == false ? search : nil, page: PageRequest(limit: 100))
            }
            let rows: [[String: Any]] = contacts.data.map {
                ["id": $0.id, "name": $0.name ?? "—", "phone": $0.phone ?? "", "email": $0.email ?? "", "labels": $0.labels.joined(separator: ", "),
                 "updated": ConsoleRoutes.time($0.updatedAt, tenant)]
            }
            return page(tenant, "contacts", title: "Contacts", values: ["rows": rows, "q": search ?? ""], session: session, current: "/console/contacts")
        }

        console.get("/contacts/{id}") { _, context -> Response in
            let (tenant, session) = try ConsoleRoutes.signedIn(context, permission: "contacts:read")
            return try await contactPage(tenant, session, try context.parameter("id"), context: context)
        }

        console.post("/contacts/{id}") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (tenant, session) = try ConsoleRoutes.signedIn(context, form: form, permission: "contacts:write")
            let id = try context.parameter("id")
            var attributes: [String: JSON] = [:], errors: [String: String] = [:]
            for (name, kind) in tenant.manifest.attributes.contact {
                guard let text = form["attr.\(name)"] else { continue }
                switch Self.value(text, kind) {
                case .success(let value): attributes[name] = value
                case .failure(let problem): errors[name] = problem.message
                }
                if let value = attributes[name], value != .null, let problem = AttributeSchema.problem(name: name, value: value, in: tenant.manifest.attributes.contact) {
                    errors[name] = problem
                }
            }
            guard errors.isEmpty else {
                return try await contactPage(tenant, session, id, context: context, errors: errors, submitted: form)
            }
            let changes = attributes
            _ = try await ContactRoutes.change(context, id, as: Actor(session.identity.actor)) { tenant, actor in
                try tenant.services.contacts.update(tenantID: tenant.slug, id: id, attributes: changes, actor: actor)
            }
            try? tenant.services.audit.record(tenantID: tenant.slug, actor: session.identity.actor, action: "contact_attributes_edited", subject: id)
            return ConsoleRoutes.redirect("/console/contacts/\(id)?saved=1")
        }

        console.post("/contacts/{id}/labels") { request, context -> Response in
            let form = try await ConsoleForms.read(request, context)
            let (_, session) = try ConsoleRoutes.signedIn(context, form: form, permission: "labels:write")
            let id = try context.parameter("id")
            let add = (form["label"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            if !add.isEmpty && add.range(of: Formats.label, options: .regularExpression) == nil {
                throw Problem(status: .unprocessableContent, title: "Invalid label", detail: "A label is lowercase letters, digits, _ and -.")
            }
            let remove = form["remove"] ?? ""
            _ = try await ContactRoutes.change(context, id, as: Actor(session.identity.actor)) { tenant, actor in
                try tenant.services.contacts.update(
                    tenantID: tenant.slug, id: id, addLabels: add.isEmpty ? [] : [add], removeLabels: remove.isEmpty ? [] : [remove], actor: actor)
            }
            return ConsoleRoutes.redirect("/console/contacts/\(id)")
        }
    }

    private struct InvalidValue: Error { let message: String }

    /// A form field as the attribute's JSON value; an empty field removes the attribute.
    private static func value(_ text: String, _ kind: AttributeSchema.Kind) -> Result<JSON, InvalidValue> {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return .success(.null) }
        switch kind {
        case .text, .date: return .success(.string(trimmed))
        case .number:
            guard let number = Double(trimmed.replacingOccurrences(of: ",", with: ".")) else { return .failure(InvalidValue(message: "\"\(trimmed)\" is not a number")) }
            return .success(.number(number))
        case .boolean:
            switch trimmed.lowercased() {
            case "true": return .success(.bool(true))
            case "false": return .success(.bool(false))
            default: return .failure(InvalidValue(message: "choose true or false"))
            }
        case .list: return .success(.array(trimmed.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }))
        }
    }

    /// The contact page; after a refused edit, `errors` by attribute and the `submitted` values are shown.
    private func contactPage(
        _ tenant: Tenant, _ session: ConsoleSessions.Session, _ id: String, context: AppRequestContext,
        errors: [String: String] = [:], submitted: [String: String] = [:]
    ) async throws -> Response {
        let found = try await context.perform { tenant -> (Contact, [Conversation])? in
            guard let contact = try tenant.services.contacts.find(tenantID: tenant.slug, .id(id)) else { return nil }
            let conversations = try tenant.services.conversations.list(tenantID: tenant.slug, filter: ["contact_id": id], page: PageRequest(limit: 50))
            return (contact, conversations.data)
        }
        guard let (contact, conversations) = found else { throw Problem.notFound("Contact \(id)") }
        let schema = tenant.manifest.attributes.contact
        let fields: [[String: Any]] = schema.keys.sorted().map { name in
            let kind = schema[name]!
            let current = submitted["attr.\(name)"] ?? contact.attributes[name].map(Self.text) ?? ""
            var field: [String: Any] = ["name": name, "kind": kind.rawValue, "value": current, "error": errors[name] ?? ""]
            field["input_type"] = kind == .number ? "number" : "text"
            field["is_number"] = kind == .number
            field["is_date"] = kind == .date
            field["is_boolean"] = kind == .boolean
            field["options"] = ["", "true", "false"].map { ["value": $0, "selected": $0 == current] as [String: Any] }
            return field
        }
        let undeclared = contact.attributes.keys.filter { schema[$0] == nil }.sorted().map { ["name": $0, "value": Self.text(contact.attributes[$0]!)] }
        let values: [String: Any] = [
            "contact": ["id": contact.id, "name": contact.name ?? contact.phone ?? contact.email ?? "?", "phone": contact.phone ?? "", "email": contact.email ?? ""],
            "fields": fields, "undeclared": undeclared, "has_undeclared": !undeclared.isEmpty, "labels": contact.labels, "failed": !errors.isEmpty,
            "conversations": conversations.map { ["id": $0.id, "channel": $0.channel, "status": $0.status, "last": $0.lastMessageAt.map { ConsoleRoutes.time($0, tenant) } ?? ""] },
            "can_edit": session.identity.can("contacts:write"), "can_label": session.identity.can("labels:write"),
        ]
        var response = page(tenant, "contact", title: contact.name ?? "Contact", values: values, session: session, current: "/console/contacts")
        if !errors.isEmpty { response.status = .unprocessableContent }
        return response
    }

    private static func text(_ value: JSON) -> String {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number): return number == number.rounded() ? String(Int(number)) : String(number)
        case .array(let items): return items.map(text).joined(separator: ", ")
        default: return (try? value.serialized()) ?? ""
        }
    }
}

import PluginAPI

/// seed 004 `communication_template` on the host's templates: the host owns name, channel, subject,
/// bodies, category, business entity, activity and usage count; only the seed's channel type is kept
/// here, keyed by the host template's id.
extension ChargeCarsCommsPlugin {
    struct TemplateDetails: Codable {
        var channelType: String

        enum CodingKeys: String, CodingKey { case channelType = "channel_type" }
    }

    static let templateChannels = ["email_outlook": "email", "whatsapp_business": "whatsapp", "sms": "sms", "internal_comment": "internal", "any": "internal"]

    /// `POST /api/templates`.
    func createTemplate(_ body: JSON) throws -> JSON {
        guard let name = body["template_name"]?.stringValue, let message = body["message_template"]?.stringValue else {
            throw PluginError.badArgument("template_name and message_template are required")
        }
        let category = try Vocabulary.check(body["template_category"]?.stringValue ?? "customer_service", in: Vocabulary.templateCategories, field: "template_category")
        let channelType = try Vocabulary.check(body["channel_type"]?.stringValue ?? "any", in: Vocabulary.templateChannelTypes, field: "channel_type")
        let entity = try Vocabulary.check(body["business_entity"]?.stringValue ?? "all", in: Vocabulary.businessEntities, field: "business_entity")
        var request: [String: JSON] = [
            "name": .string(name), "channel": .string(Self.templateChannels[channelType] ?? "internal"), "language": .string(language),
            "body": .string(message), "category": .string(category), "business_entity": .string(entity), "approval_status": "approved",
        ]
        if let subject = body["subject_template"]?.stringValue { request["subject"] = .string(subject) }
        if let html = body["html_template"]?.stringValue { request["html_body"] = .string(html) }
        if let active = body["is_active"]?.boolValue { request["active"] = .bool(active) }
        let stored = try host.call("templates.upsert", JSON.object(request))
        guard let id = stored["id"]?.stringValue else { throw PluginError(.error, code: "no_template_id", message: "the host stored no template id") }
        let details = TemplateDetails(channelType: channelType)
        try host.put(Collections.templates, id, details)
        return try view(stored, details)
    }

    /// `GET /api/templates`, filtered by `template_category`, `channel_type`, `business_entity`.
    func listTemplates(_ query: [String: String]) throws -> JSON {
        let all = try host.call("templates.list", JSON.object([:]))["data"]?.arrayValue ?? []
        let views = try all.compactMap { template -> JSON? in
            guard let id = template["id"]?.stringValue, let details = try host.get(Collections.templates, id, as: TemplateDetails.self) else { return nil }
            return try view(template, details)
        }.filter { view in
            ["template_category", "channel_type", "business_entity"].allSatisfy { key in query[key].map { view[key]?.stringValue == $0 } ?? true }
        }
        return ["data": .array(views)]
    }

    /// The active template `name` for a thread's channel type (or one for any channel).
    func template(named name: String, channelType: String) throws -> JSON {
        let candidates = try host.call("templates.list", JSON.object(["name": .string(name)]))["data"]?.arrayValue ?? []
        for template in candidates where template["active"]?.boolValue == true {
            guard let id = template["id"]?.stringValue, let details = try host.get(Collections.templates, id, as: TemplateDetails.self),
                details.channelType == channelType || details.channelType == "any"
            else { continue }
            return template
        }
        throw PluginError.notFound("no active template \(name) for \(channelType)")
    }

    /// Counts one use of a host template (the host increments it atomically).
    func countUsage(_ template: JSON) throws {
        try host.call("templates.record_use", JSON.object([
            "name": template["name"] ?? .null, "channel": template["channel"] ?? .null, "language": template["language"] ?? .null,
        ]))
    }

    /// A host template in the seed's column names.
    private func view(_ template: JSON, _ details: TemplateDetails) throws -> JSON {
        [
            "id": template["id"] ?? .null, "template_name": template["name"] ?? .null, "template_category": template["category"] ?? .null,
            "channel_type": .string(details.channelType), "subject_template": template["subject"] ?? .null,
            "message_template": template["body"] ?? .null, "html_template": template["html_body"] ?? .null,
            "variables": template["variables"] ?? [], "business_entity": template["business_entity"] ?? "all",
            "is_active": template["active"] ?? true, "usage_count": template["usage_count"] ?? 0,
        ]
    }
}

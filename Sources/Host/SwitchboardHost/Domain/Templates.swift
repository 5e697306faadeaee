import SwitchboardJSON

/// A message template per channel and language, with its variables, WhatsApp approval state and usage count.
public struct MessageTemplate: Codable, Sendable {
    public var id: String
    public var name: String
    public var channel: String
    public var language: String
    public var category: String
    public var subject: String?
    public var body: String
    public var htmlBody: String?
    public var variables: [String]
    public var approvalStatus: String
    public var businessEntity: String?
    public var active: Bool
    public var usageCount: Int
    public var createdAt: Int64
    public var updatedAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, name, channel, language, category, subject, body, variables, active
        case htmlBody = "html_body", approvalStatus = "approval_status", businessEntity = "business_entity"
        case usageCount = "usage_count", createdAt = "created_at", updatedAt = "updated_at"
    }

    public static let channels: Set<String> = ["whatsapp", "sms", "email", "sandbox", "chatwoot", "internal"]
    public static let approvalStatuses: Set<String> = ["draft", "pending", "approved", "rejected", "not_required"]

    /// The `{{name}}` placeholders of a text, in order of first use.
    public static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, !names.contains(name) { names.append(name) }
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// The body with `{{name}}` replaced by the variables' values.
    public func render(_ values: [String: String]) -> String {
        Self.fill(body, values)
    }

    /// A text with `{{name}}` replaced by the variables' values.
    public static func fill(_ text: String, _ values: [String: String]) -> String {
        var text = text
        for (name, value) in values { text = text.replacingOccurrences(of: "{{\(name)}}", with: value) }
        return text
    }
}

extension MessageTemplate {
    init(row: Row) {
        id = row.string("id") ?? ""
        name = row.string("name") ?? ""
        channel = row.string("channel") ?? ""
        language = row.string("language") ?? ""
        category = row.string("category") ?? ""
        subject = row.string("subject")
        body = row.string("body") ?? ""
        htmlBody = row.string("html_body")
        variables = (try? JSON.parse(row.string("variables") ?? "[]").arrayValue?.compactMap(\.stringValue)) ?? []
        approvalStatus = row.string("approval_status") ?? "draft"
        businessEntity = row.string("business_entity")
        active = (row.int("active") ?? 1) != 0
        usageCount = Int(row.int("usage_count") ?? 0)
        createdAt = row.int("created_at") ?? 0
        updatedAt = row.int("updated_at") ?? 0
    }
}

/// Tenant-scoped templates.
public struct TemplateStore: Sendable {
    public let database: Database

    public func create(tenantID: String, template: MessageTemplate) throws {
        try database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO templates (tenant_id, id, name, channel, language, category, subject, body, html_body, variables,
                                       approval_status, business_entity, active, usage_count, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $14)
                """,
                [.text(tenantID), .text(template.id), .text(template.name), .text(template.channel), .text(template.language),
                 .text(template.category), .text(template.subject), .text(template.body), .text(template.htmlBody),
                 .text(try JSON(encoding: template.variables).serialized()), .text(template.approvalStatus),
                 .text(template.businessEntity), .integer(template.active ? 1 : 0), .integer(template.createdAt)])
        }
    }

    public func list(tenantID: String, filter: [String: String], page: PageRequest) throws -> Page<MessageTemplate> {
        var sql = "SELECT * FROM templates WHERE tenant_id = $1"
        var parameters: [SQLValue] = [.text(tenantID)]
        for key in ["channel", "language", "category", "approval_status", "business_entity", "name"] {
            guard let value = filter[key] else { continue }
            parameters.append(.text(value))
            sql += " AND \(key) = $\(parameters.count)"
        }
        return try database.read { try page.fetch(sql: sql, parameters: parameters, in: $0) { MessageTemplate(row: $0) } }
    }

    public func find(tenantID: String, id: String) throws -> MessageTemplate? {
        try database.read {
            try $0.query("SELECT * FROM templates WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]).first.map(MessageTemplate.init(row:))
        }
    }

    /// The active template with this name for a channel, preferring `language`.
    public func named(tenantID: String, name: String, channel: String?, language: String?) throws -> MessageTemplate? {
        try database.read {
            try $0.query(
                "SELECT * FROM templates WHERE tenant_id = $1 AND name = $2 AND active = 1 ORDER BY created_at",
                [.text(tenantID), .text(name)])
        }.map(MessageTemplate.init(row:))
            .filter { channel == nil || $0.channel == channel }
            .sorted { ($0.language == language ? 0 : 1) < ($1.language == language ? 0 : 1) }
            .first
    }

    /// The template with exactly this name, channel and language, active or not.
    public func exact(tenantID: String, name: String, channel: String, language: String) throws -> MessageTemplate? {
        try database.read {
            try $0.query(
                "SELECT * FROM templates WHERE tenant_id = $1 AND name = $2 AND channel = $3 AND language = $4",
                [.text(tenantID), .text(name), .text(channel), .text(language)]).first.map(MessageTemplate.init(row:))
        }
    }

    public func save(tenantID: String, template: MessageTemplate) throws {
        try database.transaction { connection in
            try connection.execute(
                """
                UPDATE templates SET category = $3, subject = $4, body = $5, html_body = $6, variables = $7,
                    approval_status = $8, business_entity = $9, active = $10, updated_at = $11
                WHERE tenant_id = $1 AND id = $2
                """,
                [.text(tenantID), .text(template.id), .text(template.category), .text(template.subject), .text(template.body),
                 .text(template.htmlBody), .text(try JSON(encoding: template.variables).serialized()),
                 .text(template.approvalStatus), .text(template.businessEntity), .integer(template.active ? 1 : 0),
                 .integer(Clock.nowMillis())])
        }
    }

    /// Counts one use of a template.
    public func recordUse(tenantID: String, id: String, in connection: SQLConnection) throws {
        try connection.execute(
            "UPDATE templates SET usage_count = usage_count + 1 WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)])
    }

    /// Counts one use of a template in its own transaction, returning the count after it.
    public func recordUse(tenantID: String, id: String) throws -> Int {
        try database.transaction { connection in
            try recordUse(tenantID: tenantID, id: id, in: connection)
            let row = try connection.query("SELECT usage_count FROM templates WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]).first
            return Int(row?.int("usage_count") ?? 0)
        }
    }
}

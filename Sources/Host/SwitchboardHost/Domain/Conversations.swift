import SwitchboardJSON

/// A conversation with a contact on one channel.
public struct Conversation: Codable, Sendable {
    public var id: String
    public var contactID: String
    public var channel: String
    public var status: String
    public var assignee: String?
    public var team: String?
    public var attributes: [String: JSON]
    public var labels: [String]
    public var lastInboundAt: Int64?
    public var lastMessageAt: Int64?
    public var lastOutboundAt: Int64?
    public var serviceWindowExpiresAt: Int64?
    /// `bot` while a bot answers, `human` after a handover.
    public var owner: String
    public var threadKey: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, channel, status, assignee, team, attributes, labels
        case contactID = "contact_id", lastInboundAt = "last_inbound_at", lastMessageAt = "last_message_at"
        case lastOutboundAt = "last_outbound_at", serviceWindowExpiresAt = "service_window_expires_at", owner
        case threadKey = "thread_key"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    public static let statuses: Set<String> = ["open", "pending", "snoozed", "resolved", "bot", "handover"]
}

/// One stored message.
public struct Message: Codable, Sendable {
    public var id: String
    public var conversationID: String?
    public var contactID: String
    public var direction: String
    public var channel: String
    public var type: String
    public var content: String?
    public var templateName: String?
    public var status: String
    public var providerMessageID: String?
    public var errorCode: String?
    public var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, direction, channel, type, content, status
        case conversationID = "conversation_id", contactID = "contact_id", templateName = "template_name"
        case providerMessageID = "provider_message_id", errorCode = "error_code", createdAt = "created_at"
    }

    init(row: Row) {
        id = row.string("id") ?? ""
        conversationID = row.string("conversation_id")
        contactID = row.string("contact_id") ?? ""
        direction = row.string("direction") ?? ""
        channel = row.string("channel") ?? ""
        type = row.string("type") ?? ""
        content = row.string("content")
        templateName = row.string("template_name")
        status = row.string("status") ?? ""
        providerMessageID = row.string("provider_message_id")
        errorCode = row.string("error_code")
        createdAt = row.int("created_at") ?? 0
    }
}

/// Tenant-scoped conversations and their messages.
public struct ConversationStore: Sendable {
    public let database: Database

    public func find(tenantID: String, id: String) throws -> Conversation? {
        try database.read { try find(tenantID: tenantID, id: id, in: $0) }
    }

    func find(tenantID: String, id: String, in connection: SQLConnection) throws -> Conversation? {
        guard let row = try connection.query(
            "SELECT * FROM conversations WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]
        ).first else { return nil }
        let labels = try connection.query(
            "SELECT label FROM conversation_labels WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY label",
            [.text(tenantID), .text(id)]
        ).compactMap { $0.string("label") }
        return Self.conversation(row, labels: labels)
    }

    static func conversation(_ row: Row, labels: [String]) -> Conversation {
        Conversation(
            id: row.string("id") ?? "", contactID: row.string("contact_id") ?? "", channel: row.string("channel") ?? "",
            status: row.string("status") ?? "", assignee: row.string("assignee"), team: row.string("team"),
            attributes: (try? JSON.parse(row.string("attributes") ?? "{}").objectValue) ?? [:], labels: labels,
            lastInboundAt: row.int("last_inbound_at"), lastMessageAt: row.int("last_message_at"),
            lastOutboundAt: row.int("last_outbound_at"), serviceWindowExpiresAt: row.int("service_window_expires_at"),
            owner: row.string("owner") ?? "bot", threadKey: row.string("thread_key"), createdAt: row.int("created_at") ?? 0, updatedAt: row.int("updated_at") ?? 0)
    }

    /// The open conversation of a contact on a channel, created when there is none. Returns it and whether it is new.
    public func findOrOpen(tenantID: String, contactID: String, channel: String, in connection: SQLConnection) throws -> (Conversation, Bool) {
        if let row = try connection.query(
            """
            SELECT id FROM conversations WHERE tenant_id = $1 AND contact_id = $2 AND channel = $3 AND status <> 'resolved'
            ORDER BY created_at DESC LIMIT 1
            """,
            [.text(tenantID), .text(contactID), .text(channel)]
        ).first, let id = row.string("id"), let existing = try find(tenantID: tenantID, id: id, in: connection) {
            return (existing, false)
        }
        let id = try open(tenantID: tenantID, contactID: contactID, channel: channel, threadKey: nil, in: connection)
        return (try find(tenantID: tenantID, id: id, in: connection)!, true)
    }

    /// Opens a new conversation, on a provider's thread when `threadKey` is given; returns its id.
    func open(tenantID: String, contactID: String, channel: String, threadKey: String?, in connection: SQLConnection) throws -> String {
        let id = Identifier.make(), now = Clock.nowMillis()
        try connection.execute(
            """
            INSERT INTO conversations (tenant_id, id, contact_id, channel, status, attributes, thread_key, created_at, updated_at)
            VALUES ($1, $2, $3, $4, 'open', '{}', $5, $6, $6)
            """,
            [.text(tenantID), .text(id), .text(contactID), .text(channel), .text(threadKey), .integer(now)])
        return id
    }

    /// Conversations newest first, filtered by status, contact, channel or assignee, one page at a time.
    public func list(tenantID: String, filter: [String: String], page: PageRequest) throws -> Page<Conversation> {
        var sql = "SELECT * FROM conversations WHERE tenant_id = $1"
        var parameters: [SQLValue] = [.text(tenantID)]
        for (key, column) in [("status", "status"), ("contact_id", "contact_id"), ("channel", "channel"), ("assignee", "assignee")] {
            guard let value = filter[key] else { continue }
            parameters.append(.text(value))
            sql += " AND \(column) = $\(parameters.count)"
        }
        return try database.read { connection in
            try page.fetch(sql: sql, parameters: parameters, in: connection) { row in
                let labels = try connection.query(
                    "SELECT label FROM conversation_labels WHERE tenant_id = $1 AND conversation_id = $2 ORDER BY label",
                    [.text(tenantID), .text(row.string("id") ?? "")]
                ).compactMap { $0.string("label") }
                return Self.conversation(row, labels: labels)
            }
        }
    }

    /// Updates status, assignee, team or attributes; returns the conversation before and after.
    public func update(
        tenantID: String, id: String, status: String? = nil, assignee: String?? = nil, team: String?? = nil,
        attributes: [String: JSON] = [:]
    ) throws -> (before: Conversation, after: Conversation)? {
        try database.transaction { connection in
            _ = try connection.query("SELECT id FROM conversations WHERE tenant_id = $1 AND id = $2" + database.dialect.forUpdate, [.text(tenantID), .text(id)])
            guard let before = try find(tenantID: tenantID, id: id, in: connection) else { return nil }
            var merged = before.attributes
            for (key, value) in attributes { merged[key] = value == .null ? nil : value }
            try connection.execute(
                """
                UPDATE conversations SET status = $3, assignee = $4, team = $5, attributes = $6, updated_at = $7
                WHERE tenant_id = $1 AND id = $2
                """,
                [.text(tenantID), .text(id), .text(status ?? before.status), .text(assignee ?? before.assignee),
                 .text(team ?? before.team), .text(try JSON.object(merged).serialized()), .integer(Clock.nowMillis())])
            return (before, try find(tenantID: tenantID, id: id, in: connection)!)
        }
    }

    /// Adds an internal note to a conversation: a message with direction `internal` that is never sent and
    /// leaves the conversation's last-message time and service window alone. Nil when there is no such conversation.
    public func addNote(tenantID: String, conversationID: String, text: String, author: String) throws -> Message? {
        let now = Clock.nowMillis(), id = Identifier.make()
        return try database.transaction { connection in
            guard let conversation = try find(tenantID: tenantID, id: conversationID, in: connection) else { return nil }
            try connection.execute(
                """
                INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, channel, type, content, status, sent_by,
                                      created_at, updated_at)
                VALUES ($1, $2, $3, $4, 'internal', 'internal', 'internal_note', $5, 'note', $6, $7, $7)
                """,
                [.text(tenantID), .text(id), .text(conversationID), .text(conversation.contactID), .text(text), .text(author), .integer(now)])
            return try connection.query("SELECT * FROM messages WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]).first.map(Message.init(row:))
        }
    }

    /// The `attachments` metadata of a message (empty when it has none), or nil when there is no such message.
    public func attachments(tenantID: String, messageID: String) throws -> [JSON]? {
        try database.read {
            try $0.query("SELECT variables FROM messages WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(messageID)]).first
        }.map { row in (try? JSON.parse(row.string("variables") ?? "{}"))?["attachments"]?.arrayValue ?? [] }
    }

    /// Messages of a conversation, oldest first, one page at a time.
    public func messages(tenantID: String, conversationID: String, page: PageRequest) throws -> Page<Message> {
        try database.read { connection in
            try page.fetch(
                sql: "SELECT * FROM messages WHERE tenant_id = $1 AND conversation_id = $2",
                parameters: [.text(tenantID), .text(conversationID)], in: connection, newestFirst: false
            ) { Message(row: $0) }
        }
    }
}

extension HostServices {
    /// Adds an internal note and tells the tenant's live views about it (`message.note`).
    public func addNote(tenantID: String, conversationID: String, text: String, author: String) throws -> Message? {
        guard let note = try conversations.addNote(tenantID: tenantID, conversationID: conversationID, text: text, author: author) else { return nil }
        events.publish(
            TenantEvent(tenantID: tenantID, type: "message.note", data: ["conversation_id": .string(conversationID), "message_id": .string(note.id)], source: nil),
            toPlugins: false)
        return note
    }
}

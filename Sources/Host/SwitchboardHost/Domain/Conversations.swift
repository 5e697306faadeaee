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
    /// Who sent an outbound message or wrote a note (`Actor.name`); nil for inbound messages.
    public var sentBy: String?
    /// marketing, utility, service or authentication (outbound).
    public var category: String?
    /// When an outbound message is due to go, if the policy or the sender moved it.
    public var sendAt: Int64?
    /// When the provider says an inbound message was sent (its own timestamp), which may be earlier than `created_at`.
    public var sentAt: Int64?
    public var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, direction, channel, type, content, status, category
        case conversationID = "conversation_id", contactID = "contact_id", templateName = "template_name"
        case providerMessageID = "provider_message_id", errorCode = "error_code", createdAt = "created_at"
        case sentBy = "sent_by", sendAt = "send_at", sentAt = "sent_at"
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
        sentBy = row.string("sent_by")
        category = row.string("category")
        sendAt = row.int("send_at")
        sentAt = row.int("sent_at")
        createdAt = row.int("created_at") ?? 0
    }
}

/// Tenant-scoped conversations and their messages. Every change records its event (`conversation.created`,
/// `conversation.updated`, `message.note`) in its own transaction.
public struct ConversationStore: Sendable {
    public let database: Database
    let events: EventLog

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
    public func findOrOpen(
        tenantID: String, contactID: String, channel: String, actor: Actor, in connection: SQLConnection
    ) throws -> (Conversation, Bool) {
        if let row = try connection.query(
            """
            SELECT id FROM conversations WHERE tenant_id = $1 AND contact_id = $2 AND channel = $3 AND status <> 'resolved'
            ORDER BY created_at DESC LIMIT 1
            """,
            [.text(tenantID), .text(contactID), .text(channel)]
        ).first, let id = row.string("id"), let existing = try find(tenantID: tenantID, id: id, in: connection) {
            return (existing, false)
        }
        let id = try open(tenantID: tenantID, contactID: contactID, channel: channel, threadKey: nil, actor: actor, in: connection)
        return (try find(tenantID: tenantID, id: id, in: connection)!, true)
    }

    /// Opens a new conversation, on a provider's thread when `threadKey` is given, and records `conversation.created`;
    /// returns its id.
    func open(tenantID: String, contactID: String, channel: String, threadKey: String?, actor: Actor, in connection: SQLConnection) throws -> String {
        let id = Identifier.make(), now = Clock.nowMillis()
        try connection.execute(
            """
            INSERT INTO conversations (tenant_id, id, contact_id, channel, status, attributes, thread_key, created_at, updated_at)
            VALUES ($1, $2, $3, $4, 'open', '{}', $5, $6, $6)
            """,
            [.text(tenantID), .text(id), .text(contactID), .text(channel), .text(threadKey), .integer(now)])
        let conversation = try find(tenantID: tenantID, id: id, in: connection)!
        try events.record(
            EventDraft(EventCatalogue.conversationCreated, data: ["conversation": try JSON(encoding: conversation)], contactID: contactID, conversationID: id),
            tenantID: tenantID, actor: actor, in: connection)
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

    /// Updates status, assignee, team, owner (`bot` or `human`) or attributes, and records `conversation.updated` with
    /// what changed (a handover is an owner change to `human`, a release one back to `bot`). Returns the conversation
    /// before and after; nil when there is no such conversation.
    public func update(
        tenantID: String, id: String, status: String? = nil, assignee: String?? = nil, team: String?? = nil,
        attributes: [String: JSON] = [:], owner: String? = nil, actor: Actor = .system
    ) throws -> (before: Conversation, after: Conversation)? {
        try database.transaction { connection in
            _ = try connection.query("SELECT id FROM conversations WHERE tenant_id = $1 AND id = $2" + database.dialect.forUpdate, [.text(tenantID), .text(id)])
            guard let before = try find(tenantID: tenantID, id: id, in: connection) else { return nil }
            var merged = before.attributes
            for (key, value) in attributes { merged[key] = value == .null ? nil : value }
            try connection.execute(
                """
                UPDATE conversations SET status = $3, assignee = $4, team = $5, attributes = $6, owner = $7, updated_at = $8
                WHERE tenant_id = $1 AND id = $2
                """,
                [.text(tenantID), .text(id), .text(status ?? before.status), .text(assignee ?? before.assignee),
                 .text(team ?? before.team), .text(try JSON.object(merged).serialized()), .text(owner ?? before.owner),
                 .integer(Clock.nowMillis())])
            let after = try find(tenantID: tenantID, id: id, in: connection)!
            var changes = Changes()
            changes.note("status", before.status, after.status)
            changes.note("assignee", before.assignee, after.assignee)
            changes.note("team", before.team, after.team)
            changes.note("owner", before.owner, after.owner)
            changes.noteAttributes(before.attributes, after.attributes)
            if !changes.isEmpty {
                try events.record(
                    EventDraft(
                        EventCatalogue.conversationUpdated,
                        data: ["conversation_id": .string(id), "changes": changes.json, "conversation": try JSON(encoding: after)],
                        contactID: after.contactID, conversationID: id),
                    tenantID: tenantID, actor: actor, in: connection)
            }
            return (before, after)
        }
    }

    /// Adds an internal note to a conversation: a message with direction `internal` that is never sent and
    /// leaves the conversation's last-message time and service window alone. Nil when there is no such conversation.
    public func addNote(tenantID: String, conversationID: String, text: String, author: String, actor: Actor = .system) throws -> Message? {
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
            try events.record(
                EventDraft(
                    EventCatalogue.messageNote, data: ["message_id": .string(id), "author": .string(author), "text": .string(text)],
                    contactID: conversation.contactID, conversationID: conversationID),
                tenantID: tenantID, actor: actor, in: connection)
            return try connection.query("SELECT * FROM messages WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]).first.map(Message.init(row:))
        }
    }

    /// The `attachments` metadata of a message (empty when it has none), or nil when there is no such message.
    public func attachments(tenantID: String, messageID: String) throws -> [JSON]? {
        try database.read {
            try $0.query("SELECT variables FROM messages WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(messageID)]).first
        }.map { row in (try? JSON.parse(row.string("variables") ?? "{}"))?["attachments"]?.arrayValue ?? [] }
    }

    /// Messages of a conversation, oldest first (or newest first), one page at a time.
    public func messages(tenantID: String, conversationID: String, page: PageRequest, newestFirst: Bool = false) throws -> Page<Message> {
        try database.read { connection in
            try page.fetch(
                sql: "SELECT * FROM messages WHERE tenant_id = $1 AND conversation_id = $2",
                parameters: [.text(tenantID), .text(conversationID)], in: connection, newestFirst: newestFirst
            ) { Message(row: $0) }
        }
    }
}

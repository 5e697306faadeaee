import SwitchboardJSON

/// Commits what a webhook brought, exactly once per provider message id.
///
/// One savepoint per message: the contact is found or created by phone or email, the
/// conversation found or opened, its 24-hour service window renewed, the message stored,
/// and a `message.dispatch` job queued for the plugins and automation rules. A message
/// whose (tenant, channel, provider id) is already stored changes nothing: the unique
/// index decides, not a lookup.
public struct InboundProcessor: Sendable {
    public let services: HostServices

    public struct Outcome: Sendable, Encodable {
        public let duplicate: Bool
        public let messageID: String?
        public let conversationID: String?
        public let contactID: String?
        enum CodingKeys: String, CodingKey {
            case duplicate, messageID = "message_id", conversationID = "conversation_id", contactID = "contact_id"
        }
    }

    private struct Duplicate: Error {}

    /// Stores `message` once, in a transaction of its own.
    public func ingest(_ message: InboundMessage, tenant: Tenant, now: Int64 = Clock.nowMillis()) throws -> Outcome {
        try services.database.transaction { try ingest(message, tenant: tenant, now: now, in: $0) }
    }

    /// Stores `message` once inside the caller's transaction, in a savepoint: a duplicate leaves nothing behind.
    /// Another host ingesting the same sender at the same moment may win the race to create the contact; the
    /// savepoint then fails on the unique index and runs again, and finds that contact.
    func ingest(_ message: InboundMessage, tenant: Tenant, now: Int64, in connection: SQLConnection) throws -> Outcome {
        var attempt = 1
        while true {
            do {
                return try connection.savepoint { try ingestOnce(message, tenant: tenant, now: now, in: connection) }
            } catch is Duplicate {
                return Outcome(duplicate: true, messageID: nil, conversationID: nil, contactID: nil)
            } catch let error as DatabaseError where error.kind == .constraint && attempt < Self.raceAttempts {
                attempt += 1
            }
        }
    }

    /// How often `ingest` tries when concurrent writers keep winning races on unique indexes.
    static let raceAttempts = 3

    private func ingestOnce(_ message: InboundMessage, tenant: Tenant, now: Int64, in connection: SQLConnection) throws -> Outcome {
        let tenantID = tenant.slug
        let contact = try findOrCreateContact(message, tenantID: tenantID, now: now, in: connection)
        let (conversation, created) = try conversation(for: message, contactID: contact, tenantID: tenantID, in: connection)
        let windowEnds = now + Int64(tenant.manifest.messaging.serviceWindowHours) * 3_600_000
        try connection.execute(
            """
            UPDATE conversations SET last_inbound_at = $3, last_message_at = $3, service_window_expires_at = $4, updated_at = $3
            WHERE tenant_id = $1 AND id = $2
            """,
            [.text(tenantID), .text(conversation), .integer(now), .integer(windowEnds)])
        let messageID = Identifier.make()
        let inserted = try connection.execute(
            """
            INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, channel, type, content, variables,
                                  status, provider_message_id, created_at, updated_at)
            VALUES ($1, $2, $3, $4, 'inbound', $5, $6, $7, $8, 'received', $9, $10, $10)
            ON CONFLICT DO NOTHING
            """,
            [.text(tenantID), .text(messageID), .text(conversation), .text(contact), .text(message.channel),
             .text(message.type), .text(message.text), .text(try message.details.serialized()),
             .text(message.providerMessageID), .integer(now)])
        guard inserted == 1 else { throw Duplicate() }
        _ = try services.jobs.schedule(
            tenantID: tenantID, pluginID: nil, kind: InboundDispatcher.jobKind, runAt: now,
            payload: ["message_id": .string(messageID), "conversation_created": .bool(created)],
            uniqueKey: "dispatch:\(messageID)", maxAttempts: 5, in: connection)
        return Outcome(duplicate: false, messageID: messageID, conversationID: conversation, contactID: contact)
    }

    /// Finds or opens the contact and conversation of a thread before any message arrives (Chatwoot's
    /// `conversation_created`). Only the sender and thread of `message` are used; nothing is dispatched.
    public func open(_ message: InboundMessage, tenant: Tenant, now: Int64 = Clock.nowMillis()) throws -> Outcome {
        try services.database.transaction { connection in
            let tenantID = tenant.slug
            let contact = try findOrCreateContact(message, tenantID: tenantID, now: now, in: connection)
            let (conversation, _) = try conversation(for: message, contactID: contact, tenantID: tenantID, in: connection)
            return Outcome(duplicate: false, messageID: nil, conversationID: conversation, contactID: contact)
        }
    }

    /// Applies a delivery receipt inside the caller's transaction; statuses only move forward.
    /// Returns whether a message changed.
    @discardableResult
    func apply(_ receipt: DeliveryStatus, tenant: Tenant, in connection: SQLConnection) throws -> Bool {
        guard let row = try connection.query(
            "SELECT id, status FROM messages WHERE tenant_id = $1 AND channel = $2 AND provider_message_id = $3",
            [.text(tenant.slug), .text(receipt.channel), .text(receipt.providerMessageID)]
        ).first else { return false }
        let current = DeliveryStatus.rank[row.string("status") ?? ""] ?? 0
        guard let next = DeliveryStatus.rank[receipt.status], next > current else { return false }
        try connection.execute(
            """
            UPDATE messages SET status = $3, error_code = $4, error_message = $5, updated_at = $6
            WHERE tenant_id = $1 AND id = $2
            """,
            [.text(tenant.slug), .text(row.string("id") ?? ""), .text(receipt.status), .text(receipt.errorCode),
             .text(receipt.errorMessage), .integer(Clock.nowMillis())])
        services.events.publish(
            TenantEvent(tenantID: tenant.slug, type: "message.status", data: ["message_id": .string(row.string("id") ?? ""), "status": .string(receipt.status)], source: nil),
            toPlugins: false)
        return true
    }

    /// The contact by phone, email or provider contact id (in that order), created when none matches.
    /// A found contact gains a missing name and the provider contact id.
    private func findOrCreateContact(_ message: InboundMessage, tenantID: String, now: Int64, in connection: SQLConnection) throws -> String {
        if let existing = try findContact(message, tenantID: tenantID, in: connection) {
            if existing.name == nil, let name = message.name {
                try connection.execute("UPDATE contacts SET name = $3 WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(existing.id), .text(name)])
            }
            if let link = message.providerContact, existing.attributes[link.attribute] != .string(link.id) {
                var attributes = existing.attributes
                attributes[link.attribute] = .string(link.id)
                try connection.execute(
                    "UPDATE contacts SET attributes = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                    [.text(tenantID), .text(existing.id), .text(try JSON.object(attributes).serialized()), .integer(now)])
            }
            return existing.id
        }
        let id = Identifier.make()
        let attributes: JSON = message.providerContact.map { [$0.attribute: .string($0.id)] } ?? [:]
        try connection.execute(
            """
            INSERT INTO contacts (tenant_id, id, name, phone, email, attributes, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
            """,
            [.text(tenantID), .text(id), .text(message.name), .text(message.phone), .text(message.email?.lowercased()),
             .text(try attributes.serialized()), .integer(now)])
        return id
    }

    private func findContact(_ message: InboundMessage, tenantID: String, in connection: SQLConnection) throws -> Contact? {
        let contacts = services.contacts
        if let phone = message.phone, let found = try contacts.find(tenantID: tenantID, .phone(phone), in: connection) { return found }
        if let email = message.email, let found = try contacts.find(tenantID: tenantID, .email(email), in: connection) { return found }
        guard let link = message.providerContact, let row = try connection.query(
            "SELECT id FROM contacts WHERE tenant_id = $1 AND \(services.database.dialect.jsonText("attributes", field: 2)) = $3 LIMIT 1",
            [.text(tenantID), .text(link.attribute), .text(link.id)]
        ).first else { return nil }
        return try contacts.find(tenantID: tenantID, .id(row.string("id") ?? ""), in: connection)
    }

    /// The conversation of the message's thread; without a thread, the contact's open conversation on the channel.
    /// A new thread claims the open conversation if it has no thread yet, and opens its own otherwise,
    /// so that replies go back to the thread they answer.
    private func conversation(for message: InboundMessage, contactID: String, tenantID: String, in connection: SQLConnection) throws -> (String, Bool) {
        let conversations = services.conversations
        guard let thread = message.threadKey else {
            let (conversation, created) = try conversations.findOrOpen(tenantID: tenantID, contactID: contactID, channel: message.channel, in: connection)
            return (conversation.id, created)
        }
        if let row = try connection.query(
            "SELECT id FROM conversations WHERE tenant_id = $1 AND channel = $2 AND thread_key = $3 ORDER BY created_at DESC LIMIT 1",
            [.text(tenantID), .text(message.channel), .text(thread)]
        ).first, let id = row.string("id") {
            return (id, false)
        }
        let (open, created) = try conversations.findOrOpen(tenantID: tenantID, contactID: contactID, channel: message.channel, in: connection)
        guard open.threadKey == nil else {
            let id = try conversations.open(tenantID: tenantID, contactID: contactID, channel: message.channel, threadKey: thread, in: connection)
            return (id, true)
        }
        try connection.execute(
            "UPDATE conversations SET thread_key = $3 WHERE tenant_id = $1 AND id = $2",
            [.text(tenantID), .text(open.id), .text(thread)])
        return (open.id, created)
    }
}

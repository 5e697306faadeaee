import Foundation
import SwitchboardJSON

/// Commits what a webhook brought, exactly once per provider message id.
///
/// One savepoint per message: the contact is found or created by phone or email, the conversation found or
/// opened, its 24-hour service window renewed from the provider's timestamp, the message stored, and
/// `message.received` recorded, which queues its delivery to the subscribed plugins and rules. A message that is
/// nothing but an opt-out keyword also revokes the contact's consent in the same savepoint. A message whose
/// (tenant, channel, provider id) is already stored changes nothing: the unique index decides, not a lookup.
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

    /// How far ahead of the host's clock a provider timestamp may be; a later one counts as now.
    static let clockSkewMillis: Int64 = 5 * 60_000

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
        let actor = Actor("webhook:\(message.channel)")
        // A duplicate is found before anything else is written, so it records no event either.
        if try !connection.query(
            "SELECT 1 FROM messages WHERE tenant_id = $1 AND channel = $2 AND provider_message_id = $3",
            [.text(tenantID), .text(message.channel), .text(message.providerMessageID)]
        ).isEmpty { throw Duplicate() }
        let contact = try findOrCreateContact(message, tenantID: tenantID, actor: actor, now: now, in: connection)
        let (conversation, created) = try conversation(for: message, contactID: contact, tenantID: tenantID, actor: actor, in: connection)
        // The window opens when the contact sent the message: a webhook delivered a day late opens none.
        let sentAt = min(message.sentAt ?? now, now + Self.clockSkewMillis)
        let windowEnds = sentAt + Int64(tenant.manifest.messaging.serviceWindowHours) * 3_600_000
        try connection.execute(
            """
            UPDATE conversations SET last_inbound_at = $3, last_message_at = $4, service_window_expires_at = $5, updated_at = $4
            WHERE tenant_id = $1 AND id = $2
            """,
            [.text(tenantID), .text(conversation.id), .integer(max(conversation.lastInboundAt ?? 0, sentAt)), .integer(now),
             .integer(max(conversation.serviceWindowExpiresAt ?? 0, windowEnds))])
        let messageID = Identifier.make()
        let inserted = try connection.execute(
            """
            INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, channel, type, content, variables,
                                  status, provider_message_id, created_at, updated_at, sent_at)
            VALUES ($1, $2, $3, $4, 'inbound', $5, $6, $7, $8, 'received', $9, $10, $10, $11)
            ON CONFLICT DO NOTHING
            """,
            [.text(tenantID), .text(messageID), .text(conversation.id), .text(contact), .text(message.channel),
             .text(message.type), .text(message.text), .text(try message.details.serialized()),
             .text(message.providerMessageID), .integer(now), .integer(sentAt)])
        guard inserted == 1 else { throw Duplicate() }
        let stored: JSON = [
            "id": .string(messageID), "conversation_id": .string(conversation.id), "contact_id": .string(contact), "direction": "inbound",
            "channel": .string(message.channel), "type": .string(message.type), "content": message.text.map(JSON.string) ?? .null,
            "status": "received", "provider_message_id": .string(message.providerMessageID), "sent_at": .number(Double(sentAt)),
            "created_at": .number(Double(now)),
        ]
        try services.events.record(
            EventDraft(
                EventCatalogue.messageReceived,
                data: [
                    "message_id": .string(messageID), "message": stored, "channel": .string(message.channel),
                    "conversation_created": .bool(created), "sent_at": .number(Double(sentAt)),
                ],
                contactID: contact, conversationID: conversation.id, occurredAt: sentAt),
            tenantID: tenantID, actor: actor, in: connection)
        if OptOut.isOptOut(message.text, keywords: tenant.manifest.messaging.optOutKeywords) {
            try optOut(contactID: contact, message: message, sentAt: sentAt, tenantID: tenantID, actor: actor, in: connection)
        }
        return Outcome(duplicate: false, messageID: messageID, conversationID: conversation.id, contactID: contact)
    }

    /// "STOP": the contact's consent is revoked with the message, which stops its waiting bot and marketing messages.
    private func optOut(contactID: String, message: InboundMessage, sentAt: Int64, tenantID: String, actor: Actor, in connection: SQLConnection) throws {
        let at = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(sentAt) / 1000))
        let source = "keyword:\(message.channel)"
        _ = try services.contacts.update(
            tenantID: tenantID, id: contactID,
            attributes: ["consent_status": "revoked", "consent_revoked_at": .string(at), "consent_revoked_source": .string(source)],
            addLabels: [], removeLabels: [], actor: actor, in: connection)
        try services.audit.record(
            tenantID: tenantID, actor: actor.name, action: "consent_revoked", subject: contactID,
            details: ["source": .string(source), "keyword": .string(message.text ?? ""), "provider_message_id": .string(message.providerMessageID)],
            in: connection)
    }

    /// Finds or opens the contact and conversation of a thread before any message arrives (Chatwoot's
    /// `conversation_created`). Only the sender and thread of `message` are used; nothing is dispatched.
    public func open(_ message: InboundMessage, tenant: Tenant, now: Int64 = Clock.nowMillis()) throws -> Outcome {
        try services.database.transaction { connection in
            let tenantID = tenant.slug
            let actor = Actor("webhook:\(message.channel)")
            let contact = try findOrCreateContact(message, tenantID: tenantID, actor: actor, now: now, in: connection)
            let (conversation, _) = try conversation(for: message, contactID: contact, tenantID: tenantID, actor: actor, in: connection)
            return Outcome(duplicate: false, messageID: nil, conversationID: conversation.id, contactID: contact)
        }
    }

    /// Applies a delivery receipt inside the caller's transaction and records `message.status`; statuses only move
    /// forward. Returns whether a message changed.
    @discardableResult
    func apply(_ receipt: DeliveryStatus, tenant: Tenant, in connection: SQLConnection) throws -> Bool {
        guard let row = try connection.query(
            """
            SELECT id, status, contact_id, conversation_id FROM messages
            WHERE tenant_id = $1 AND channel = $2 AND provider_message_id = $3
            """,
            [.text(tenant.slug), .text(receipt.channel), .text(receipt.providerMessageID)]
        ).first, let id = row.string("id") else { return false }
        let previous = row.string("status") ?? ""
        let current = DeliveryStatus.rank[previous] ?? 0
        guard let next = DeliveryStatus.rank[receipt.status], next > current else { return false }
        let now = Clock.nowMillis()
        try connection.execute(
            """
            UPDATE messages SET status = $3, error_code = $4, error_message = $5, updated_at = $6
            WHERE tenant_id = $1 AND id = $2
            """,
            [.text(tenant.slug), .text(id), .text(receipt.status), .text(receipt.errorCode), .text(receipt.errorMessage), .integer(now)])
        try MessageStatusEvent(
            messageID: id, status: receipt.status, previous: previous, errorCode: receipt.errorCode, errorMessage: receipt.errorMessage,
            providerMessageID: receipt.providerMessageID, origin: "receipt", contactID: row.string("contact_id"),
            conversationID: row.string("conversation_id"), at: min(receipt.timestamp ?? now, now)
        ).record(tenantID: tenant.slug, events: services.events, actor: Actor("webhook:\(receipt.channel)"), in: connection)
        return true
    }

    /// The contact by phone, email or provider contact id (in that order), created when none matches.
    /// A found contact gains a missing name and the provider contact id.
    private func findOrCreateContact(_ message: InboundMessage, tenantID: String, actor: Actor, now: Int64, in connection: SQLConnection) throws -> String {
        let contacts = services.contacts
        if let existing = try findContact(message, tenantID: tenantID, in: connection) {
            if existing.name == nil, let name = message.name {
                _ = try contacts.updateFields(tenantID: tenantID, id: existing.id, name: .some(name), phone: nil, email: nil, actor: actor, in: connection)
            }
            if let link = message.providerContact, existing.attributes[link.attribute] != .string(link.id) {
                _ = try contacts.update(
                    tenantID: tenantID, id: existing.id, attributes: [link.attribute: .string(link.id)], addLabels: [], removeLabels: [],
                    actor: actor, in: connection)
            }
            return existing.id
        }
        let attributes: [String: JSON] = message.providerContact.map { [$0.attribute: .string($0.id)] } ?? [:]
        return try contacts.create(
            tenantID: tenantID, name: message.name, phone: message.phone, email: message.email, attributes: attributes, actor: actor,
            in: connection
        ).id
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
    /// so that replies go back to the thread they answer. Returns it and whether it is new.
    private func conversation(
        for message: InboundMessage, contactID: String, tenantID: String, actor: Actor, in connection: SQLConnection
    ) throws -> (Conversation, Bool) {
        let conversations = services.conversations
        guard let thread = message.threadKey else {
            return try conversations.findOrOpen(tenantID: tenantID, contactID: contactID, channel: message.channel, actor: actor, in: connection)
        }
        if let row = try connection.query(
            "SELECT id FROM conversations WHERE tenant_id = $1 AND channel = $2 AND thread_key = $3 ORDER BY created_at DESC LIMIT 1",
            [.text(tenantID), .text(message.channel), .text(thread)]
        ).first, let id = row.string("id"), let existing = try conversations.find(tenantID: tenantID, id: id, in: connection) {
            return (existing, false)
        }
        let (open, created) = try conversations.findOrOpen(tenantID: tenantID, contactID: contactID, channel: message.channel, actor: actor, in: connection)
        guard open.threadKey == nil else {
            let id = try conversations.open(tenantID: tenantID, contactID: contactID, channel: message.channel, threadKey: thread, actor: actor, in: connection)
            return (try conversations.find(tenantID: tenantID, id: id, in: connection)!, true)
        }
        try connection.execute(
            "UPDATE conversations SET thread_key = $3 WHERE tenant_id = $1 AND id = $2",
            [.text(tenantID), .text(open.id), .text(thread)])
        var claimed = open
        claimed.threadKey = thread
        return (claimed, created)
    }
}

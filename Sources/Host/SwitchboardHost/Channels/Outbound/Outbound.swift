import Foundation
import SwitchboardJSON

/// The one path every outbound message takes, from the REST API, plugins and automation rules:
/// the policy decides first, then the message is stored and its delivery queued as a durable
/// `message.deliver` job. A blocked send is stored as `blocked` and audited, never dropped.
public struct Outbound: Sendable {
    public static let deliverKind = "message.deliver"
    public let services: HostServices

    /// A send request (`POST /api/v1/messages/send` and the plugin host API).
    public struct Request: Decodable, Sendable {
        public var contactID: String
        public var channel: String?
        public var type: String
        public var text: String?
        public var templateName: String?
        public var language: String?
        public var variables: [String: JSON]?
        public var interactive: JSON?
        /// marketing, utility or service; templates bring their own.
        public var category: String?
        /// Epoch milliseconds; absent or past means now.
        public var sendAt: Int64?
        /// An email's subject (else the template's, else the `subject` variable).
        public var subject: String?
        /// Files sent with an email.
        public var attachments: [Attachment]?
        /// Makes a repeated send (a retried job) return the message already stored under this key
        /// instead of sending again. Set by the host, not by API callers.
        public var idempotencyKey: String? = nil
        /// Marks a bot's confirmation of an opt-out, the one message a bot may send to a contact whose consent is
        /// revoked (plugins only).
        public var optOutConfirmation: Bool? = nil

        enum CodingKeys: String, CodingKey {
            case contactID = "contact_id", channel, type, text, templateName = "template_name", language, variables
            case interactive, category, sendAt = "send_at", subject, attachments
            case optOutConfirmation = "opt_out_confirmation"
        }
    }

    /// A file attached to an email: `{filename, content_type, content_base64}`.
    public struct Attachment: Codable, Sendable, Equatable {
        public var filename: String
        public var contentType: String
        public var contentBase64: String

        enum CodingKeys: String, CodingKey {
            case filename, contentType = "content_type", contentBase64 = "content_base64"
        }
    }

    public struct Result: Encodable, Sendable {
        public let messageID: String
        /// sent, queued, scheduled or blocked.
        public let status: String
        public let channel: String
        public let sendAt: Int64?
        public let reason: String?
        public let detail: String?
        enum CodingKeys: String, CodingKey {
            case messageID = "message_id", status, channel, sendAt = "send_at", reason, detail
        }
    }

    /// A request the host cannot act on (unknown contact, template or channel): the caller's mistake, not a policy block.
    public struct Invalid: Error, CustomStringConvertible {
        public let field: String
        public let description: String
    }

    /// Checks the policy, stores the message as `actor`'s, queues its delivery and records `message.sent` (or, when the
    /// policy refused it, `message.blocked`).
    public func send(_ request: Request, tenant: Tenant, actor: Actor, now: Int64 = Clock.nowMillis()) throws -> Result {
        let result = try store(request, tenant: tenant, actor: actor, now: now)
        // The sandbox cannot fail: deliver it at once rather than waiting for the scheduler.
        let delivery = OutboundDelivery(services: services)
        if result.channel == "sandbox", result.status == "queued",
            case .ready(let ready) = try delivery.prepare(messageID: result.messageID, tenant: tenant, now: now),
            case .sent = try delivery.sent(ready, providerID: SandboxSender.providerID(result.messageID), tenantID: tenant.slug, now: now)
        {
            return Result(messageID: result.messageID, status: "sent", channel: result.channel, sendAt: result.sendAt, reason: nil, detail: nil)
        }
        return result
    }

    private func store(_ request: Request, tenant: Tenant, actor: Actor, now: Int64) throws -> Result {
        let tenantID = tenant.slug
        guard ["session_text", "template", "interactive"].contains(request.type) else {
            throw Invalid(field: "type", description: "type must be session_text, template or interactive")
        }
        guard let contact = try services.contacts.find(tenantID: tenantID, .id(request.contactID)) else {
            throw Invalid(field: "contact_id", description: "no contact \(request.contactID) in this tenant")
        }
        let channel = try request.channel ?? latestChannel(contactID: contact.id, tenantID: tenantID) ?? "sandbox"
        guard ChannelRouter.canSend(channel, tenant: tenant) else {
            throw Invalid(field: "channel", description: "the tenant cannot send on \(channel); enable it under channels in the manifest")
        }
        if channel == "email", contact.email == nil {
            throw Invalid(field: "contact_id", description: "contact \(contact.id) has no email address")
        }
        var template: MessageTemplate?
        if request.type == "template" {
            guard let name = request.templateName,
                let found = try services.templates.named(tenantID: tenantID, name: name, channel: channel, language: request.language ?? String(tenant.manifest.locale.prefix(2)))
            else {
                throw Invalid(field: "template_name", description: "no active \(channel) template \(request.templateName ?? "(none)")")
            }
            template = found
        } else if request.type == "session_text", (request.text ?? "").isEmpty {
            throw Invalid(field: "text", description: "a session_text message needs text")
        }
        if let attachments = request.attachments, !attachments.isEmpty {
            guard channel == "email" else { throw Invalid(field: "attachments", description: "only email messages carry attachments") }
            guard attachments.allSatisfy({ !$0.filename.isEmpty && Data(base64Encoded: $0.contentBase64) != nil }) else {
                throw Invalid(field: "attachments", description: "each attachment needs a filename and base64 content")
            }
        }
        if request.type == "interactive", request.interactive?.objectValue == nil {
            throw Invalid(field: "interactive", description: "an interactive message needs the interactive object")
        }

        return try services.database.transaction { connection in
            if let key = request.idempotencyKey, let existing = try connection.query(
                "SELECT id, status, channel, send_at, error_code, error_message FROM messages WHERE tenant_id = $1 AND idempotency_key = $2",
                [.text(tenantID), .text(key)]
            ).first {
                return Result(
                    messageID: existing.string("id") ?? "", status: existing.string("status") ?? "", channel: existing.string("channel") ?? channel,
                    sendAt: existing.int("send_at"), reason: existing.string("error_code"), detail: existing.string("error_message"))
            }
            let (conversation, _) = try services.conversations.findOrOpen(
                tenantID: tenantID, contactID: contact.id, channel: channel, actor: actor, in: connection)
            let policy = PolicyEngine(messaging: tenant.manifest.messaging, businessHours: tenant.manifest.businessHours, tenantTimezone: tenant.manifest.timezone)
            let confirmation = request.optOutConfirmation == true
            let draft = PolicyEngine.Draft(
                channel: channel, type: request.type, category: request.category, template: template, sendAt: request.sendAt ?? now,
                automated: !actor.isHuman, optOutConfirmation: confirmation)
            let decision = policy.decide(draft, contact: contact, conversation: conversation, now: now)
            let messageID = Identifier.make()
            var status = "queued", sendAt: Int64? = nil, reason: String? = nil, detail: String? = nil
            switch decision {
            case .allow(let at):
                sendAt = at
                status = at > now ? "scheduled" : "queued"
            case .reschedule(let at, let why):
                sendAt = at
                status = "scheduled"
                reason = why
                try services.audit.record(
                    tenantID: tenantID, actor: actor.name, action: "policy_shifted_send", subject: messageID,
                    details: ["reason": .string(why), "requested": .number(Double(request.sendAt ?? now)), "send_at": .number(Double(at)),
                              "contact_id": .string(contact.id)],
                    in: connection)
            case .block(let why, let explanation):
                status = "blocked"
                reason = why
                detail = explanation
                try services.audit.record(
                    tenantID: tenantID, actor: actor.name, action: "policy_blocked_send", subject: messageID,
                    details: ["reason": .string(why), "detail": .string(explanation), "contact_id": .string(contact.id),
                              "channel": .string(channel), "type": .string(request.type),
                              "template": request.templateName.map(JSON.string) ?? .null],
                    in: connection)
            }
            var stored: [String: JSON] = request.variables ?? [:]
            if let interactive = request.interactive { stored["_interactive"] = interactive }
            if let subject = request.subject { stored["subject"] = .string(subject) }
            if let attachments = request.attachments, !attachments.isEmpty { stored["_attachments"] = try JSON(encoding: attachments) }
            if confirmation { stored["_opt_out_confirmation"] = true }
            let content = request.text ?? template?.render((request.variables ?? [:]).mapValues(ConditionEvaluator.text))
            try connection.execute(
                """
                INSERT INTO messages (tenant_id, id, conversation_id, contact_id, direction, channel, type, content, template_name,
                                      variables, status, error_code, error_message, sent_by, send_at, category, recipient,
                                      created_at, updated_at, idempotency_key)
                VALUES ($1, $2, $3, $4, 'outbound', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18)
                """,
                [.text(tenantID), .text(messageID), .text(conversation.id), .text(contact.id), .text(channel), .text(request.type),
                 .text(content), .text(template?.name), .text(try JSON.object(stored).serialized()),
                 .text(status), .text(reason), .text(detail), .text(actor.name), sendAt.map(SQLValue.integer) ?? .null,
                 .text(request.category ?? template?.category), .text(ChannelRouter.address(of: contact, on: channel)), .integer(now),
                 .text(request.idempotencyKey)])
            if status == "blocked" {
                try MessageBlockedEvent(
                    messageID: messageID, reason: reason ?? "", detail: detail ?? "", stage: "send", channel: channel,
                    template: template?.name, sentBy: actor.name, contactID: contact.id, conversationID: conversation.id
                ).record(tenantID: tenantID, events: services.events, actor: actor, in: connection)
            } else {
                if let template { try services.templates.recordUse(tenantID: tenantID, id: template.id, in: connection) }
                _ = try services.jobs.schedule(
                    tenantID: tenantID, pluginID: nil, kind: Self.deliverKind, runAt: sendAt ?? now,
                    payload: ["message_id": .string(messageID)], uniqueKey: "deliver:\(messageID)", maxAttempts: 6, in: connection)
                let message: JSON = [
                    "id": .string(messageID), "conversation_id": .string(conversation.id), "contact_id": .string(contact.id),
                    "direction": "outbound", "channel": .string(channel), "type": .string(request.type), "content": content.map(JSON.string) ?? .null,
                    "template_name": template.map { .string($0.name) } ?? .null, "status": .string(status),
                    "category": (request.category ?? template?.category).map(JSON.string) ?? .null,
                    "send_at": sendAt.map { .number(Double($0)) } ?? .null, "sent_by": .string(actor.name), "created_at": .number(Double(now)),
                ]
                try services.events.record(
                    EventDraft(
                        EventCatalogue.messageSent,
                        data: [
                            "message": message, "sent_by": .string(actor.name), "template": template.map { .string($0.name) } ?? .null,
                            "human": .bool(actor.isHuman),
                        ],
                        contactID: contact.id, conversationID: conversation.id),
                    tenantID: tenantID, actor: actor, in: connection)
            }
            return Result(messageID: messageID, status: status, channel: channel, sendAt: sendAt, reason: reason, detail: detail)
        }
    }

    /// The channel of the contact's most recent conversation.
    private func latestChannel(contactID: String, tenantID: String) throws -> String? {
        try services.database.read {
            try $0.query(
                "SELECT channel FROM conversations WHERE tenant_id = $1 AND contact_id = $2 ORDER BY COALESCE(last_message_at, created_at) DESC LIMIT 1",
                [.text(tenantID), .text(contactID)]
            ).first?.string("channel")
        }
    }
}

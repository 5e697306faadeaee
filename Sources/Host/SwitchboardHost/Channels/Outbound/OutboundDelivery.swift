import Foundation
import SwitchboardJSON

/// Delivers a queued message through its provider; runs as the `message.deliver` job.
///
/// The policy is checked again at delivery time (a scheduled message may have left the
/// 24-hour window meanwhile). A permanent provider refusal (WhatsApp 131047 and the like)
/// fails the message with the provider's code; a timeout or 5xx is thrown, so the job is
/// retried with backoff, and the message fails only when the retries run out. The provider
/// call is awaited on the host's curl thread, so a slow provider holds no thread.
public struct OutboundDelivery: Sendable {
    public let services: HostServices

    /// The error code of a message whose delivery attempts all failed; the dead-letter list holds its job.
    public static let retriesExhausted = "retries_exhausted"

    /// Who delivery-time changes are recorded as.
    static let actor: Actor = "system:delivery"

    public enum Outcome: Equatable, Sendable {
        case sent(providerID: String)
        case failed(code: String)
        case blocked(reason: String)
        case skipped
    }

    /// A message that passed the delivery-time policy check, ready for its provider.
    struct Ready: Sendable {
        let message: Message
        /// Its status before this delivery.
        let status: String
        let conversationID: String
        let envelope: OutboundEnvelope
        let sender: any ChannelSender
        let config: ChannelConfig
    }

    public func deliver(messageID: String, tenant: Tenant, attempt: Int, maxAttempts: Int, now: Int64 = Clock.nowMillis()) async throws -> Outcome {
        let prepared = try await services.database.perform { try prepare(messageID: messageID, tenant: tenant, now: now) }
        guard case .ready(let ready) = prepared else {
            if case .finished(let outcome) = prepared { return outcome }
            return .skipped
        }
        do {
            let providerID = try await ready.sender.deliver(ready.envelope, config: ready.config, http: services.http)
            return try await services.database.perform { try sent(ready, providerID: providerID, tenantID: tenant.slug, now: now) }
        } catch DeliveryError.permanent(let code, let text) {
            return try await services.database.perform { try fail(ready.message, ready.status, code: code, text: text, tenantID: tenant.slug) }
        } catch let error as DeliveryError {
            if attempt >= maxAttempts {
                _ = try await services.database.perform {
                    try fail(ready.message, ready.status, code: Self.retriesExhausted, text: error.description, tenantID: tenant.slug)
                }
            }
            throw error
        }
    }

    /// Where a message stands before its provider is called.
    enum Preparation: Sendable {
        case ready(Ready)
        /// It will not go: blocked by the policy, or its contact is gone.
        case finished(Outcome)
        /// Nothing to do: no such message, or it is no longer waiting.
        case nothing
    }

    /// Loads the message and checks the policy again; a refusal is recorded here.
    func prepare(messageID: String, tenant: Tenant, now: Int64) throws -> Preparation {
        let tenantID = tenant.slug
        guard let row = try services.database.read({
            try $0.query("SELECT * FROM messages WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(messageID)]).first
        }) else { return .nothing }
        // A message whose retries ran out goes again when its dead job is retried over the API.
        let status = row.string("status") ?? ""
        guard ["queued", "scheduled"].contains(status) || (status == "failed" && row.string("error_code") == Self.retriesExhausted) else {
            return .nothing
        }
        let message = Message(row: row)
        guard let contact = try services.contacts.find(tenantID: tenantID, .id(message.contactID)),
            let conversationID = message.conversationID,
            let conversation = try services.conversations.find(tenantID: tenantID, id: conversationID)
        else {
            return .finished(try fail(message, status, code: "contact_gone", text: "the contact or conversation no longer exists", tenantID: tenantID))
        }

        let template = try message.templateName.flatMap {
            try services.templates.named(tenantID: tenantID, name: $0, channel: message.channel, language: nil)
        }
        var variables: [String: String] = [:]
        var interactive: JSON?
        var attachments: [Outbound.Attachment] = []
        var confirmation = false
        if let stored = try? JSON.parse(row.string("variables") ?? "{}").objectValue {
            for (key, value) in stored where !key.hasPrefix("_") { variables[key] = ConditionEvaluator.text(value) }
            interactive = stored["_interactive"]
            attachments = (try? stored["_attachments"]?.decode(as: [Outbound.Attachment].self)) ?? []
            confirmation = stored["_opt_out_confirmation"]?.boolValue == true
        }
        let policy = PolicyEngine(messaging: tenant.manifest.messaging, businessHours: tenant.manifest.businessHours, tenantTimezone: tenant.manifest.timezone)
        let draft = PolicyEngine.Draft(
            channel: message.channel, type: message.type, category: row.string("category"), template: template, sendAt: now,
            automated: OptOut.isBot(message.sentBy), optOutConfirmation: confirmation)
        if case .block(let reason, let detail) = policy.decide(draft, contact: contact, conversation: conversation, now: now) {
            try services.database.transaction { connection in
                try connection.execute(
                    "UPDATE messages SET status = 'blocked', error_code = $3, error_message = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
                    [.text(tenantID), .text(messageID), .text(reason), .text(detail), .integer(now)])
                try services.audit.record(
                    tenantID: tenantID, actor: Self.actor.name, action: "policy_blocked_send", subject: messageID,
                    details: ["reason": .string(reason), "detail": .string(detail), "at": "delivery"], in: connection)
                try MessageBlockedEvent(
                    messageID: messageID, reason: reason, detail: detail, stage: "delivery", channel: message.channel,
                    template: message.templateName, sentBy: message.sentBy, contactID: message.contactID, conversationID: conversationID
                ).record(tenantID: tenantID, events: services.events, actor: Self.actor, in: connection)
            }
            return .finished(.blocked(reason: reason))
        }

        let envelope = OutboundEnvelope(
            messageID: messageID, to: ChannelRouter.address(of: contact, on: message.channel) ?? "", type: message.type,
            text: message.templateName == nil ? message.content : nil, template: template, variables: variables,
            interactive: interactive, threadKey: conversation.threadKey, language: template?.language ?? String(tenant.manifest.locale.prefix(2)),
            inReplyTo: try lastReplyID(conversationID: conversationID, tenantID: tenantID), attachments: attachments)
        let (sender, config) = try ChannelRouter.sender(for: message.channel, tenant: tenant)
        return .ready(Ready(message: message, status: status, conversationID: conversationID, envelope: envelope, sender: sender, config: config))
    }

    /// Records that the provider took the message: `sent` with its id, the conversation's last outbound time, and
    /// `message.status`.
    func sent(_ ready: Ready, providerID: String, tenantID: String, now: Int64) throws -> Outcome {
        try services.database.transaction { connection in
            try connection.execute(
                """
                UPDATE messages SET status = 'sent', provider_message_id = $3, error_code = NULL, error_message = NULL, updated_at = $4
                WHERE tenant_id = $1 AND id = $2
                """,
                [.text(tenantID), .text(ready.message.id), .text(providerID), .integer(now)])
            try connection.execute(
                "UPDATE conversations SET last_outbound_at = $3, last_message_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2",
                [.text(tenantID), .text(ready.conversationID), .integer(now)])
            try MessageStatusEvent(
                messageID: ready.message.id, status: "sent", previous: ready.status, errorCode: nil, errorMessage: nil,
                providerMessageID: providerID, origin: "delivery", contactID: ready.message.contactID, conversationID: ready.conversationID,
                at: now
            ).record(tenantID: tenantID, events: services.events, actor: Self.actor, in: connection)
        }
        return .sent(providerID: providerID)
    }

    /// The `reply_id` detail of the conversation's latest inbound message, if its provider gave one.
    private func lastReplyID(conversationID: String, tenantID: String) throws -> String? {
        let variables = try services.database.read {
            try $0.query(
                """
                SELECT variables FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND direction = 'inbound'
                ORDER BY created_at DESC LIMIT 1
                """,
                [.text(tenantID), .text(conversationID)]
            ).first?.string("variables")
        }
        return variables.flatMap { try? JSON.parse($0) }?["reply_id"]?.stringValue
    }

    /// Fails the message with the provider's (or the host's) code and records `message.status` failed.
    private func fail(_ message: Message, _ previous: String, code: String, text: String, tenantID: String) throws -> Outcome {
        try services.database.transaction { connection in
            let now = Clock.nowMillis()
            try connection.execute(
                "UPDATE messages SET status = 'failed', error_code = $3, error_message = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
                [.text(tenantID), .text(message.id), .text(code), .text(text), .integer(now)])
            try MessageStatusEvent(
                messageID: message.id, status: "failed", previous: previous, errorCode: code, errorMessage: text,
                providerMessageID: message.providerMessageID, origin: "delivery", contactID: message.contactID,
                conversationID: message.conversationID, at: now
            ).record(tenantID: tenantID, events: services.events, actor: Self.actor, in: connection)
        }
        return .failed(code: code)
    }
}

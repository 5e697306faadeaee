import Foundation
import SwitchboardJSON

/// What a contact's opt-out (its `consent_status` becoming `revoked`) does to the messages still waiting for it:
/// every queued or scheduled marketing message, and every one a bot queued (a plugin, a rule or the host), is
/// blocked with the reason `consent_revoked` in the same transaction, its delivery job cancelled, the block audited
/// and announced as `message.blocked`. Messages a person queued from the console or the API stay queued unless they
/// are marketing. The policy refuses the same messages again when a delivery is attempted (`PolicyEngine`).
struct OptOut {
    let events: EventLog
    let audit: AuditLog

    /// The reason every blocked message carries.
    static let reason = "consent_revoked"

    /// A contact opted out when a whole inbound message is one of these words (case and punctuation ignored), unless
    /// the manifest's `messaging.opt_out_keywords` says otherwise.
    static let defaultKeywords = ["stop", "stopp", "unsubscribe", "abmelden", "afmelden", "uitschrijven"]

    /// Whether `text` is an opt-out by itself: nothing but one of `keywords`.
    static func isOptOut(_ text: String?, keywords: [String]) -> Bool {
        guard let text else { return false }
        let folded = text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        return !folded.isEmpty && keywords.contains(folded)
    }

    /// Whether a message from `sentBy` is a bot's: anything a person (`user:`, `token:`) did not send.
    static func isBot(_ sentBy: String?) -> Bool {
        !Actor(sentBy ?? "system").isHuman
    }

    /// Blocks the contact's waiting bot and marketing messages; returns their ids.
    @discardableResult
    func stopQueuedSends(tenantID: String, contactID: String, actor: Actor, in connection: SQLConnection) throws -> [String] {
        let now = Clock.nowMillis()
        let waiting = try connection.query(
            """
            SELECT id, channel, template_name, category, sent_by, conversation_id, variables FROM messages
            WHERE tenant_id = $1 AND contact_id = $2 AND direction = 'outbound' AND status IN ('queued', 'scheduled')
            """,
            [.text(tenantID), .text(contactID)])
        var stopped: [String] = []
        for row in waiting {
            let sentBy = row.string("sent_by")
            let isConfirmation = (try? JSON.parse(row.string("variables") ?? "{}"))?["_opt_out_confirmation"]?.boolValue == true
            guard row.string("category") == "marketing" || (Self.isBot(sentBy) && !isConfirmation), let id = row.string("id") else { continue }
            let detail = "the contact opted out before this message went out"
            try connection.execute(
                "UPDATE messages SET status = 'blocked', error_code = $3, error_message = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2",
                [.text(tenantID), .text(id), .text(Self.reason), .text(detail), .integer(now)])
            try connection.execute(
                "UPDATE jobs SET status = 'cancelled', updated_at = $3 WHERE tenant_id = $1 AND unique_key = $2 AND status = 'pending'",
                [.text(tenantID), .text("deliver:\(id)"), .integer(now)])
            try audit.record(
                tenantID: tenantID, actor: actor.name, action: "policy_blocked_send", subject: id,
                details: ["reason": .string(Self.reason), "detail": .string(detail), "contact_id": .string(contactID), "at": "opt_out"],
                in: connection)
            try MessageBlockedEvent(
                messageID: id, reason: Self.reason, detail: detail, stage: "opt_out", channel: row.string("channel") ?? "",
                template: row.string("template_name"), sentBy: sentBy, contactID: contactID, conversationID: row.string("conversation_id")
            ).record(tenantID: tenantID, events: events, actor: actor, in: connection)
            stopped.append(id)
        }
        return stopped
    }
}

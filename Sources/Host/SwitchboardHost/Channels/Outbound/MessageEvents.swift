import SwitchboardJSON

/// `message.status`: an outbound message moved on (queued, sent, delivered, read, failed), from a provider's
/// receipt or from the delivery job.
struct MessageStatusEvent {
    let messageID: String
    let status: String
    let previous: String
    let errorCode: String?
    let errorMessage: String?
    let providerMessageID: String?
    /// `receipt` (the provider said so) or `delivery` (the host's delivery job).
    let origin: String
    let contactID: String?
    let conversationID: String?
    /// When the status changed, by the provider's clock where it said.
    let at: Int64

    func record(tenantID: String, events: EventLog, actor: Actor, in connection: SQLConnection) throws {
        try events.record(
            EventDraft(
                EventCatalogue.messageStatus,
                data: [
                    "message_id": .string(messageID), "status": .string(status), "previous_status": .string(previous),
                    "error_code": errorCode.map(JSON.string) ?? .null, "error_message": errorMessage.map(JSON.string) ?? .null,
                    "provider_message_id": providerMessageID.map(JSON.string) ?? .null, "origin": .string(origin),
                ],
                contactID: contactID, conversationID: conversationID, occurredAt: at),
            tenantID: tenantID, actor: actor, in: connection)
    }
}

/// `message.blocked`: the policy refused an outbound message, when it was sent (`send`), when its delivery was due
/// (`delivery`) or because its contact opted out while it waited (`opt_out`). The message is stored as `blocked`.
struct MessageBlockedEvent {
    let messageID: String
    let reason: String
    let detail: String
    let stage: String
    let channel: String
    let template: String?
    let sentBy: String?
    let contactID: String
    let conversationID: String?

    func record(tenantID: String, events: EventLog, actor: Actor, in connection: SQLConnection) throws {
        try events.record(
            EventDraft(
                EventCatalogue.messageBlocked,
                data: [
                    "message_id": .string(messageID), "reason": .string(reason), "detail": .string(detail), "stage": .string(stage),
                    "channel": .string(channel), "template": template.map(JSON.string) ?? .null, "sent_by": sentBy.map(JSON.string) ?? .null,
                ],
                contactID: contactID, conversationID: conversationID),
            tenantID: tenantID, actor: actor, in: connection)
    }
}

import Foundation
import PluginAPI

/// Outbound messages of every origin (seed 004 "Outgoing Email: Log in thread, update last_message_at"): a console
/// reply, `POST /api/v1/messages/send`, a rule or another plugin raises `message.sent`, which logs the message in
/// the thread of its conversation. A person's reply answers the thread as the plugin's own reply path does; a bot's
/// or a rule's does not. The plugin's own sends are logged where they are made and never come back as events.
extension ChargeCarsCommsPlugin {
    /// Logs `sent` in its conversation's thread, if it has one. The record is written last: a redelivered event
    /// finds its message logged and changes nothing, while a retry after a failure half-way finishes the work.
    func logOutbound(_ sent: MessageSent, at: Int64) throws {
        let message = sent.message
        guard let conversationID = message["conversation_id"]?.stringValue, var thread = try threads.find(conversationID),
            try !isLogged(hostMessage: sent.messageID)
        else { return }
        thread.lastMessageAt = max(thread.lastMessageAt ?? at, at)
        if sent.human { try answer(&thread, at: Date(timeIntervalSince1970: Double(at) / 1000)) }
        try threads.save(thread)
        try record(MessageRecord(
            id: newID(), threadID: thread.id,
            channelType: message["channel"]?.stringValue.flatMap { Self.hostChannels[$0] } ?? thread.channelType,
            messageType: "outgoing", hostMessageID: sent.messageID, senderContactID: sent.sentBy,
            recipientContactID: message["contact_id"]?.stringValue, deliveryStatus: "pending",
            metadata: sent.template.map { ["template_name": .string($0)] } ?? [:], createdAt: at))
    }

    /// A person answered the thread: its SLA clock stops and the ladder is cancelled, and an open or escalated
    /// thread is in progress.
    func answer(_ thread: inout ThreadRecord, at now: Date) throws {
        try stopSLA(&thread, at: now)
        if thread.status == "open" || thread.status == "escalated" {
            thread.status = "in_progress"
            try announceStatus(thread)
        }
    }
}

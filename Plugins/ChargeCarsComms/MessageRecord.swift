import PluginAPI

/// seed 004 `communication_message`: a thread's message. Incoming and outgoing ones point at the host
/// message (`host_message_id`), which keeps the text, subject, HTML and stored attachments (read back
/// through `messages.list`); this keeps only the seed's extra fields. Notes and notifications keep their own.
struct MessageRecord: Codable {
    var id: String
    var threadID: String
    var channelType: String
    var messageType: String
    var hostMessageID: String?
    var senderContactID: String?
    var senderExternal: JSON?
    var recipientContactID: String?
    var recipientExternal: JSON?
    var subject: String?
    var messageContent: String?
    var messageHTML: String?
    var attachments: [JSON] = []
    var externalMessageID: String?
    var deliveryStatus: String
    var readAt: Int64?
    var metadata: JSON = [:]
    var createdAt: Int64

    /// Messages of a thread sort by time under its prefix.
    var key: String { "\(threadID)|\(String(format: "%015lld", createdAt))|\(id)" }

    enum CodingKeys: String, CodingKey {
        case id, subject, attachments, metadata
        case threadID = "thread_id", channelType = "channel_type", messageType = "message_type", hostMessageID = "host_message_id"
        case senderContactID = "sender_contact_id", senderExternal = "sender_external", recipientContactID = "recipient_contact_id"
        case recipientExternal = "recipient_external", messageContent = "message_content", messageHTML = "message_html"
        case externalMessageID = "external_message_id", deliveryStatus = "delivery_status", readAt = "read_at", createdAt = "created_at"
    }
}

extension ChargeCarsCommsPlugin {
    /// Stores a message, indexed by its id and its host message's, and emits `message.new`.
    func record(_ message: MessageRecord) throws {
        try host.put(Collections.messages, message.key, message)
        try host.put(Collections.messageKeys, message.id, message.key)
        if let hostMessageID = message.hostMessageID { try host.put(Collections.hostMessageKeys, hostMessageID, message.key) }
        try host.emit(type: "message.new", data: try JSON(encoding: message))
    }

    /// Whether host message `id` is logged in a thread already.
    func isLogged(hostMessage id: String) throws -> Bool {
        try host.get(Collections.hostMessageKeys, id, as: String.self) != nil
    }

    /// An internal note, system notification or auto-response in a thread.
    /// An internal note lives in the host's conversation (the console shows it there); the record keeps only the link.
    func appendNote(_ thread: ThreadRecord, type: String, text: String, at: Int64, sender: String? = nil) throws {
        var hostMessageID: String?
        if type == "internal_note", let conversationID = thread.conversationID {
            var request: [String: JSON] = ["conversation_id": .string(conversationID), "text": .string(text)]
            if let sender { request["author"] = .string(sender) }
            hostMessageID = try host.call("messages.note", JSON.object(request))["id"]?.stringValue
        }
        try record(MessageRecord(
            id: newID(), threadID: thread.id, channelType: type == "auto_response" ? thread.channelType : "internal_comment",
            messageType: type, hostMessageID: hostMessageID, senderContactID: sender, messageContent: hostMessageID == nil ? text : nil,
            deliveryStatus: "sent", createdAt: at))
    }
}

import Foundation
import PluginAPI

/// Incoming email (Graph) and WhatsApp (seed 004 "Incoming Communication Process"): the host found the
/// contact and the conversation; this links or creates the thread, detects its type and order, sets the
/// SLA deadline, auto-assigns, and answers outside business hours.
extension ChargeCarsCommsPlugin {
    static let hostChannels = ["email": "email_outlook", "whatsapp": "whatsapp_business", "sms": "sms"]

    func handleInbound(_ data: JSON) throws {
        let message = data["message"] ?? .null
        guard let hostMessageID = message["id"]?.stringValue, let conversationID = message["conversation_id"]?.stringValue,
            let channel = message["channel"]?.stringValue.flatMap({ Self.hostChannels[$0] }),
            // The message is logged last: a redelivered event finds it and changes nothing, a retry after a failure half-way does the rest.
            try !isLogged(hostMessage: hostMessageID)
        else { return }
        let now = Date(timeIntervalSince1970: (message["created_at"]?.doubleValue ?? Double(millis(host.now))) / 1000)
        let details = data["details"] ?? .null
        let subject = details["subject"]?.stringValue
        let text = message["content"]?.stringValue ?? ""
        let contact = data["contact"] ?? .null

        var thread: ThreadRecord
        if let existing = try threads.find(conversationID) {
            thread = existing
            if Vocabulary.finished.contains(thread.status) || thread.status == "waiting_customer" {
                thread.status = "open"
                try announceStatus(thread)
            }
        } else {
            thread = ThreadRecord(
                id: conversationID, conversationID: conversationID, contactID: contact["id"]?.stringValue,
                threadSubject: subject ?? String(text.prefix(80)), threadType: classify("\(subject ?? "") \(text)"),
                priority: "normal", status: "open", channelType: channel, openedAt: millis(now))
            thread.businessEntity = contact["attributes"]?["business_entity"]?.stringValue ?? config.defaultEntity
            thread.customerOrganizationID = contact["attributes"]?["organization_id"]?.stringValue
            let threadKey = data["conversation"]?["thread_key"]?.stringValue
            thread.externalReferences = channel == "email_outlook"
                ? ["outlook_conversation_id": threadKey ?? conversationID]
                : ["whatsapp_chat_id": contact["phone"]?.stringValue ?? conversationID]
            try autoAssign(&thread, text: "\(subject ?? "") \(text)")
        }
        if thread.orderID == nil, let order = try order(in: "\(subject ?? "") \(text)", contact: contact) { link(&thread, to: order) }
        thread.lastMessageAt = millis(now)
        if thread.responseDueAt == nil {
            try startSLA(&thread, target: try slaTarget(channel), now: now)
        }
        try threads.save(thread)
        if thread.assignedToContactID != nil, data["conversation_created"]?.boolValue == true { try announceAssignment(thread) }
        if !config.calendar.isOpen(at: now) { try autoRespond(thread, contactID: thread.contactID, at: now) }
        try record(MessageRecord(
            id: newID(), threadID: thread.id, channelType: channel, messageType: "incoming", hostMessageID: hostMessageID,
            senderContactID: thread.contactID, senderExternal: ["email": contact["email"] ?? .null, "phone": contact["phone"] ?? .null],
            externalMessageID: message["provider_message_id"]?.stringValue, deliveryStatus: "delivered", createdAt: millis(now)))
    }

    /// The thread type whose keywords appear first in `text`; customer_support otherwise.
    func classify(_ text: String) -> String {
        let lowered = text.lowercased()
        for type in Vocabulary.threadTypes {
            if config.threadKeywords[type]?.contains(where: lowered.contains) == true { return type }
        }
        return "customer_support"
    }

    /// The order number referenced in `text` (the manifest's `order_pattern`, first capture group that matched).
    func orderReference(in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: config.orderPattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
        else { return nil }
        for group in 1..<max(match.numberOfRanges, 1) {
            if let range = Range(match.range(at: group), in: text) { return String(text[range]) }
        }
        return nil
    }
}

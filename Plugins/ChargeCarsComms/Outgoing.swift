import Foundation
import PluginAPI

/// Outgoing replies (seed 004 "Outgoing": template selection → send via the host → log in the thread)
/// and the auto-response outside business hours.
extension ChargeCarsCommsPlugin {
    /// Fills `{{name}}` placeholders.
    static func fill(_ text: String, _ variables: [String: String]) -> String {
        variables.reduce(text) { $0.replacingOccurrences(of: "{{\($1.key)}}", with: $1.value) }
    }

    /// The variables every template may use: the customer, order, subject, agent and the entity's signature.
    func standardVariables(_ thread: ThreadRecord) throws -> [String: String] {
        var values = ["thread_subject": thread.threadSubject, "order_number": thread.orderNumber ?? "", "agent_name": thread.assignedToContactID ?? ""]
        if let contactID = thread.contactID, let name = (try? host.contact(["id": contactID]))?["name"]?.stringValue { values["customer_name"] = name }
        let entity = config.entities[thread.businessEntity ?? config.defaultEntity]
        values["signature"] = entity?["signature"]?.stringValue ?? ""
        values["business_name"] = entity?["name"]?.stringValue ?? ""
        return values
    }

    /// Sends `text` (or the named template filled with the variables) to the thread's contact and logs it.
    func send(_ thread: inout ThreadRecord, text: String?, templateName: String?, variables: [String: String], type: String, sender: String?, at now: Date) throws -> MessageRecord {
        guard let contactID = thread.contactID else { throw PluginError.badArgument("thread \(thread.id) has no external contact to send to") }
        let values = try standardVariables(thread).merging(variables) { $1 }
        var subject = "Re: \(thread.threadSubject)"
        var body = text ?? ""
        var html: String?
        if let templateName {
            let template = try self.template(named: templateName, channelType: thread.channelType)
            body = Self.fill(template["body"]?.stringValue ?? "", values)
            subject = template["subject"]?.stringValue.map { Self.fill($0, values) } ?? subject
            html = template["html_body"]?.stringValue.map { Self.fill($0, values) }
            try countUsage(template)
        }
        guard !body.isEmpty else { throw PluginError.badArgument("a message needs message_content or template_name") }
        let channel = Self.hostChannels.first { $0.value == thread.channelType }?.key
        var request: [String: JSON] = ["contact_id": .string(contactID), "type": "session_text", "text": .string(body), "category": "service",
                                       "variables": ["subject": .string(subject)]]
        if let channel { request["channel"] = .string(channel) }
        var status = "sent"
        var hostID: String?
        do {
            let result = try host.sendMessage(.object(request))
            hostID = result["message_id"]?.stringValue
            status = result["status"]?.stringValue == "sent" ? "sent" : "pending"
        } catch let error as PluginError where error.status == .denied {
            status = "failed"
            host.log(.warning, "reply blocked by the policy: \(error.message)")
        }
        let message = MessageRecord(
            id: newID(), threadID: thread.id, channelType: thread.channelType, messageType: type, hostMessageID: hostID,
            senderContactID: sender, recipientContactID: contactID, subject: hostID == nil ? subject : nil, messageContent: hostID == nil ? body : nil,
            messageHTML: html, deliveryStatus: status, metadata: templateName.map { ["template_name": .string($0)] } ?? [:],
            createdAt: millis(now))
        try record(message)
        thread.lastMessageAt = millis(now)
        return message
    }

    /// Outside business hours: the entity's auto-response, at most once per closed spell.
    func autoRespond(_ thread: ThreadRecord, contactID: String?, at now: Date) throws {
        guard contactID != nil else { return }
        let key = "auto:\(thread.id)"
        if let last = try host.get(Collections.messageKeys, key, as: Int64.self),
            config.calendar.businessSeconds(from: Date(timeIntervalSince1970: Double(last) / 1000), to: now) == 0 { return }
        var copy = thread
        let hasTemplate = (try? template(named: "auto_response", channelType: thread.channelType)) != nil
        _ = try send(&copy, text: config.autoResponse, templateName: hasTemplate ? "auto_response" : nil, variables: [:], type: "auto_response",
                     sender: nil, at: max(host.now, now.addingTimeInterval(0.001)))
        try host.put(Collections.messageKeys, key, millis(now))
    }
}

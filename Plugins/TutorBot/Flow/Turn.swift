import Foundation
import PluginAPI

/// One inbound message and what the flow knows about its sender and conversation,
/// with the writes a step makes (attributes through the host, replies through the messaging policy).
struct Turn {
    let host: PluginAPI.Host
    let text: String
    let channel: String
    let contactID: String
    let conversationID: String
    let phone: String?
    /// The contact's and the conversation's attributes, kept current as the step writes them.
    var contact: [String: JSON]
    var conversation: [String: JSON]
    let owner: String

    init?(host: PluginAPI.Host, event: Event) {
        let data = event.data
        guard let message = data["message"], let contactID = message["contact_id"]?.stringValue,
            let conversationID = message["conversation_id"]?.stringValue
        else { return nil }
        self.host = host
        text = message["content"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        channel = message["channel"]?.stringValue ?? "sandbox"
        self.contactID = contactID
        self.conversationID = conversationID
        phone = data["contact"]?["phone"]?.stringValue
        contact = data["contact"]?["attributes"]?.objectValue ?? [:]
        conversation = data["conversation"]?["attributes"]?.objectValue ?? [:]
        owner = data["conversation"]?["owner"]?.stringValue ?? "bot"
    }

    /// The contact's language, nl unless set.
    var language: String { contact["language"]?.stringValue ?? "nl" }

    func contactText(_ key: String) -> String? {
        guard let value = contact[key]?.stringValue, !value.isEmpty else { return nil }
        return value
    }

    func conversationText(_ key: String) -> String? {
        guard let value = conversation[key]?.stringValue, !value.isEmpty else { return nil }
        return value
    }

    /// Sets contact attributes (the automation rules then run on `contact_updated`).
    mutating func setContact(_ attributes: [String: JSON]) throws {
        try host.updateContact(["id": .string(contactID), "attributes": .object(attributes)])
        contact.merge(attributes) { $1 }
    }

    /// Sets conversation attributes: the flow state that survives a restart.
    mutating func setConversation(_ attributes: [String: JSON]) throws {
        try host.call("conversations.update", JSON.object(["id": .string(conversationID), "attributes": .object(attributes)]))
        conversation.merge(attributes) { $1 }
    }

    /// Answers on the channel the message came in on.
    func reply(_ text: String) throws {
        try host.sendMessage(["contact_id": .string(contactID), "channel": .string(channel), "type": "session_text", "text": .string(text)])
    }

    /// The current time as ISO 8601 (UTC), for the `*_at` attributes.
    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}

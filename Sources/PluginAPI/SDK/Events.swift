/// The names of the host's events (docs/plugin-abi.md, "Event catalogue"), for `PluginInfo.subscriptions` and
/// `Event.type`.
public enum EventType {
    public static let messageReceived = "message.received"
    public static let messageSent = "message.sent"
    public static let messageStatus = "message.status"
    public static let messageBlocked = "message.blocked"
    public static let messageNote = "message.note"
    public static let conversationCreated = "conversation.created"
    public static let conversationUpdated = "conversation.updated"
    public static let contactCreated = "contact.created"
    public static let contactUpdated = "contact.updated"
    public static let contactDeleted = "contact.deleted"
    public static let taskCreated = "task.created"
    public static let taskUpdated = "task.updated"
    public static let calendarEventCreated = "calendar.event.created"
    public static let calendarEventUpdated = "calendar.event.updated"
    public static let calendarEventCancelled = "calendar.event.cancelled"
    public static let pluginReloaded = "plugin.reloaded"
}

/// A field an update changed: its value before and after.
public struct Change: Sendable, Equatable {
    public let from: JSON
    public let to: JSON
}

/// The `changes` of an `*.updated` event: each changed field, attribute changes apart.
public struct Changes: Sendable {
    public let fields: [String: Change]
    public let attributes: [String: Change]

    init(_ json: JSON?) {
        var fields: [String: Change] = [:], attributes: [String: Change] = [:]
        for (name, value) in json?.objectValue ?? [:] {
            if name == "attributes" {
                for (key, change) in value.objectValue ?? [:] { attributes[key] = Change(from: change["from"] ?? .null, to: change["to"] ?? .null) }
            } else if let from = value["from"], let to = value["to"] {
                fields[name] = Change(from: from, to: to)
            }
        }
        self.fields = fields
        self.attributes = attributes
    }

    /// The new value of `field`, when it changed.
    public func newValue(_ field: String) -> JSON? { fields[field]?.to }
}

/// `message.received`: a contact's message, committed once per provider id.
public struct MessageReceived: Sendable {
    public let messageID: String
    /// The stored message: `id`, `conversation_id`, `contact_id`, `channel`, `type`, `content`, `provider_message_id`,
    /// `sent_at`, `created_at`.
    public let message: JSON
    public var text: String? { message["content"]?.stringValue }
    public var channel: String { message["channel"]?.stringValue ?? "" }
    /// What the channel kept: the chosen button, media with its stored `attachments`, an email's subject and HTML.
    public let details: JSON
    /// The contact and the conversation as they are when the event is delivered.
    public let contact: JSON
    public let conversation: JSON
    public let conversationCreated: Bool
    /// When the contact sent it, by the provider's clock.
    public let sentAt: Int64?
}

/// `message.sent`: an outbound message passed the policy and is queued or scheduled, from any origin.
public struct MessageSent: Sendable {
    /// `id`, `conversation_id`, `contact_id`, `channel`, `type`, `content`, `template_name`, `status`, `category`,
    /// `send_at`, `sent_by`.
    public let message: JSON
    public var messageID: String { message["id"]?.stringValue ?? "" }
    /// Who sent it: `user:Ana`, `token:website`, `plugin:x`, `automation:<rule>`.
    public let sentBy: String
    public let template: String?
    /// Sent by a person (console or API), not a bot or rule.
    public let human: Bool
}

/// `message.status`: an outbound message moved on, from a provider's receipt or the host's delivery.
public struct MessageStatus: Sendable {
    public let messageID: String
    /// `sent`, `delivered`, `read` or `failed`.
    public let status: String
    public let previousStatus: String?
    /// The provider's error code of a failed message (WhatsApp's 131047, say), or the host's.
    public let errorCode: String?
    public let errorMessage: String?
    public let providerMessageID: String?
    /// `receipt` or `delivery`.
    public let origin: String
}

/// `message.blocked`: the policy refused an outbound message; it is stored as blocked and audited.
public struct MessageBlocked: Sendable {
    public let messageID: String
    /// `consent_revoked`, `outside_service_window`, `template_not_approved`, …
    public let reason: String
    public let detail: String
    /// `send`, `delivery` or `opt_out`.
    public let stage: String
    public let sentBy: String?
}

/// `conversation.updated`: status, owner (`bot`/`human`: handover and release), assignee, team or attributes.
public struct ConversationUpdated: Sendable {
    public let conversationID: String
    public let changes: Changes
    /// The conversation after the change.
    public let conversation: JSON
}

/// `contact.updated`: attributes, labels, name, phone, email; `consent` when it was granted or revoked.
public struct ContactUpdated: Sendable {
    public let contactID: String
    public let changes: Changes
    /// `granted` or `revoked` when the change was one of consent (an opt-out keyword, the privacy API, a plugin).
    public let consent: String?
    public let labelsAdded: [String]
    public let labelsRemoved: [String]
    /// The contact after the change.
    public let contact: JSON
}

extension Event {
    public var messageReceived: MessageReceived? {
        guard type == EventType.messageReceived, let messageID = data["message_id"]?.stringValue else { return nil }
        return MessageReceived(
            messageID: messageID, message: data["message"] ?? .null, details: data["details"] ?? .object([:]),
            contact: data["contact"] ?? .null, conversation: data["conversation"] ?? .null,
            conversationCreated: data["conversation_created"]?.boolValue ?? false, sentAt: data["sent_at"]?.doubleValue.map { Int64($0) })
    }

    public var messageSent: MessageSent? {
        guard type == EventType.messageSent, let message = data["message"] else { return nil }
        return MessageSent(
            message: message, sentBy: data["sent_by"]?.stringValue ?? "", template: data["template"]?.stringValue,
            human: data["human"]?.boolValue ?? false)
    }

    public var messageStatus: MessageStatus? {
        guard type == EventType.messageStatus, let messageID = data["message_id"]?.stringValue, let status = data["status"]?.stringValue else {
            return nil
        }
        return MessageStatus(
            messageID: messageID, status: status, previousStatus: data["previous_status"]?.stringValue,
            errorCode: data["error_code"]?.stringValue, errorMessage: data["error_message"]?.stringValue,
            providerMessageID: data["provider_message_id"]?.stringValue, origin: data["origin"]?.stringValue ?? "")
    }

    public var messageBlocked: MessageBlocked? {
        guard type == EventType.messageBlocked, let messageID = data["message_id"]?.stringValue else { return nil }
        return MessageBlocked(
            messageID: messageID, reason: data["reason"]?.stringValue ?? "", detail: data["detail"]?.stringValue ?? "",
            stage: data["stage"]?.stringValue ?? "", sentBy: data["sent_by"]?.stringValue)
    }

    public var conversationUpdated: ConversationUpdated? {
        guard type == EventType.conversationUpdated, let id = data["conversation_id"]?.stringValue else { return nil }
        return ConversationUpdated(conversationID: id, changes: Changes(data["changes"]), conversation: data["conversation"] ?? .null)
    }

    public var contactUpdated: ContactUpdated? {
        guard type == EventType.contactUpdated, let id = data["contact_id"]?.stringValue else { return nil }
        let changes = data["changes"]
        return ContactUpdated(
            contactID: id, changes: Changes(changes), consent: changes?["consent"]?.stringValue,
            labelsAdded: changes?["labels_added"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            labelsRemoved: changes?["labels_removed"]?.arrayValue?.compactMap(\.stringValue) ?? [], contact: data["contact"] ?? .null)
    }
}

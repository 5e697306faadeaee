/// The events the host raises, one per kind of change (docs/plugin-abi.md, "Event catalogue", gives each one's data).
/// Plugins subscribe to them by name in their descriptor, automation rules trigger on them, and the live streams
/// carry them. A plugin may emit events of its own under any other name.
public enum EventCatalogue {
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

    /// Every host event type. A plugin may not emit one of these names: only the host raises them.
    public static let hostTypes: Set<String> = [
        messageReceived, messageSent, messageStatus, messageBlocked, messageNote, conversationCreated, conversationUpdated,
        contactCreated, contactUpdated, contactDeleted, taskCreated, taskUpdated, calendarEventCreated, calendarEventUpdated,
        calendarEventCancelled, pluginReloaded,
    ]

    /// The Chatwoot-style rule events of earlier releases, and the catalogue event each one stands for.
    /// `message_created` is an incoming message; `conversation_status_changed` a `conversation.updated` whose status changed.
    public static let ruleAliases: [String: String] = [
        "contact_created": contactCreated, "contact_updated": contactUpdated, "conversation_created": conversationCreated,
        "message_created": messageReceived, "conversation_status_changed": conversationUpdated,
    ]

    /// The rule `event` names that an event of `type` triggers: the type itself and its older aliases.
    public static func ruleEvents(for type: String) -> [String] {
        [type] + ruleAliases.filter { $0.value == type }.map(\.key).sorted()
    }
}

import PluginAPI

/// Tells the tutor: an internal task assigned to them, plus a message to their contact on the configured channel.
struct Notifier {
    let host: PluginAPI.Host
    let config: TutorBotConfig

    func notify(_ text: String, title: String, taskType: String = "follow_up", priority: String = "normal", turn: Turn) throws {
        try host.call("tasks.create", JSON.object([
            "title": .string(title), "description": .string(text), "task_type": .string(taskType), "priority": .string(priority),
            "assignee": .string(config.tutorName), "contact_id": .string(turn.contactID), "conversation_id": .string(turn.conversationID),
        ]))
        guard let phone = config.tutorPhone else { return }
        let tutor = try host.call("contacts.create", ["phone": phone, "name": config.tutorName])
        guard let tutorID = tutor["id"]?.stringValue else { return }
        try host.sendMessage(["contact_id": .string(tutorID), "channel": .string(config.notifyChannel), "type": "session_text", "text": .string(text)])
    }
}

import PluginAPI

/// Live events for the tenant's WebSocket clients (`/api/communication/stream`); `urgent` marks the
/// items a browser shows as a notification.
extension ChargeCarsCommsPlugin {
    func announceStatus(_ thread: ThreadRecord) throws {
        try host.emit(type: "thread.status", data: [
            "thread_id": .string(thread.id), "status": .string(thread.status), "priority": .string(thread.priority),
            "assigned_to_contact_id": thread.assignedToContactID.map(JSON.string) ?? .null,
            "urgent": .bool(Vocabulary.rank(thread.priority) >= 3),
        ])
    }

    /// A thread handed to an agent is a task for them.
    func announceAssignment(_ thread: ThreadRecord) throws {
        guard let assignee = thread.assignedToContactID else { return }
        try host.emit(type: "task.assigned", data: [
            "thread_id": .string(thread.id), "assignee": .string(assignee), "team": thread.team.map(JSON.string) ?? .null,
            "title": .string(thread.threadSubject), "urgent": .bool(Vocabulary.rank(thread.priority) >= 3),
        ])
    }
}

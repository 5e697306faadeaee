import PluginAPI

/// Reads and writes thread records; the assignee, team, open/resolved state, priority and SLA deadline
/// are written through to the host conversation so the core inbox agrees.
struct ThreadStore {
    let host: PluginAPI.Host

    func find(_ id: String) throws -> ThreadRecord? {
        try host.get(Collections.threads, id, as: ThreadRecord.self)
    }

    func require(_ id: String) throws -> ThreadRecord {
        guard let thread = try find(id) else { throw PluginError.notFound("no thread \(id)") }
        return thread
    }

    /// Stores the thread and writes it through to its conversation, with the inbox signals the host
    /// console shows: the `priority` and the `sla_due_at` deadline (epoch ms; null once answered or finished).
    func save(_ thread: ThreadRecord) throws {
        try host.put(Collections.threads, thread.id, thread)
        guard let conversationID = thread.conversationID else { return }
        let finished = Vocabulary.finished.contains(thread.status)
        let due = finished ? nil : thread.responseDueAt
        try host.call("conversations.update", JSON.object([
            "id": .string(conversationID),
            "assignee": thread.assignedToContactID.map(JSON.string) ?? .null,
            "team": thread.team.map(JSON.string) ?? .null,
            "status": .string(finished ? "resolved" : "open"),
            "attributes": ["priority": .string(thread.priority), "sla_due_at": due.map { .number(Double($0)) } ?? .null],
        ]))
    }

    /// Every thread record (the inbox sorts and pages them itself).
    func all() throws -> [ThreadRecord] {
        var result: [ThreadRecord] = []
        var after: String?
        repeat {
            let page = try host.query(Collections.threads, as: ThreadRecord.self, after: after, limit: 500)
            result += page.records.map(\.value)
            after = page.next
        } while after != nil
        return result
    }
}

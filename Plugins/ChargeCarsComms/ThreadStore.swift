import PluginAPI

/// Reads and writes thread records; the assignee, team and open/resolved state are written
/// through to the host conversation so the core inbox agrees.
struct ThreadStore {
    let host: PluginAPI.Host

    func find(_ id: String) throws -> ThreadRecord? {
        try host.get(Collections.threads, id, as: ThreadRecord.self)
    }

    func require(_ id: String) throws -> ThreadRecord {
        guard let thread = try find(id) else { throw PluginError.notFound("no thread \(id)") }
        return thread
    }

    func save(_ thread: ThreadRecord) throws {
        try host.put(Collections.threads, thread.id, thread)
        guard let conversationID = thread.conversationID else { return }
        try host.call("conversations.update", JSON.object([
            "id": .string(conversationID),
            "assignee": thread.assignedToContactID.map(JSON.string) ?? .null,
            "team": thread.team.map(JSON.string) ?? .null,
            "status": .string(Vocabulary.finished.contains(thread.status) ? "resolved" : "open"),
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

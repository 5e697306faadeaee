import Foundation
import PluginAPI

/// seed 004 `internal_task` on the host's tasks: the host keeps title, description, status, assignee,
/// conversation and due time; the seed's own type and priority names, order, due date/time as entered,
/// completion notes and reminder settings are kept here under the task's id.
extension ChargeCarsCommsPlugin {
    struct TaskDetails: Codable {
        var taskType: String
        var priority: String
        var threadID: String?
        var orderID: String?
        var dueDate: String?
        var dueTime: String?
        var completionNotes: String?
        var reminderSettings: JSON?
        var createdByContactID: String?

        enum CodingKeys: String, CodingKey {
            case priority, taskType = "task_type", threadID = "thread_id", orderID = "order_id", dueDate = "due_date", dueTime = "due_time"
            case completionNotes = "completion_notes", reminderSettings = "reminder_settings", createdByContactID = "created_by_contact_id"
        }
    }

    /// The host's nearest task type and priority.
    static let hostTaskTypes = ["follow_up": "follow_up", "callback": "callback", "escalate": "escalation", "schedule_visit": "installation"]

    func createTask(_ body: JSON, identity: String?) throws -> JSON {
        guard let title = body["task_title"]?.stringValue else { throw PluginError.badArgument("task_title is required") }
        var details = TaskDetails(
            taskType: try Vocabulary.check(body["task_type"]?.stringValue ?? "follow_up", in: Vocabulary.taskTypes, field: "task_type"),
            priority: try Vocabulary.check(body["priority"]?.stringValue ?? "normal", in: Vocabulary.priorities, field: "priority"),
            threadID: body["thread_id"]?.stringValue, orderID: body["order_id"]?.stringValue, dueDate: body["due_date"]?.stringValue,
            dueTime: body["due_time"]?.stringValue, reminderSettings: body["reminder_settings"],
            createdByContactID: body["created_by_contact_id"]?.stringValue ?? identity)
        let thread = try details.threadID.map(threads.require)
        if details.orderID == nil { details.orderID = thread?.orderID }
        var request: [String: JSON] = [
            "title": .string(title), "task_type": .string(Self.hostTaskTypes[details.taskType] ?? "other"),
            "priority": .string(details.priority == "critical" ? "urgent" : details.priority),
        ]
        if let description = body["task_description"]?.stringValue { request["description"] = .string(description) }
        if let assignee = body["assigned_to_contact_id"]?.stringValue { request["assignee"] = .string(assignee) }
        if let conversationID = thread?.conversationID { request["conversation_id"] = .string(conversationID) }
        if let contactID = thread?.contactID { request["contact_id"] = .string(contactID) }
        if let due = dueAt(date: details.dueDate, time: details.dueTime) {
            request["due_at"] = .number(Double(due))
        } else if let seconds = config.taskSeconds[details.priority] {
            request["due_at"] = .number(Double(millis(config.calendar.adding(seconds, to: host.now))))
        }
        if let minutes = body["reminder_settings"]?["minutes_before"]?.doubleValue, let due = request["due_at"]?.doubleValue {
            request["reminder_at"] = .number(due - minutes * 60_000)
        }
        let task = try host.call("tasks.create", JSON.object(request))
        let id = task["id"]?.stringValue ?? ""
        try host.put(Collections.tasks, id, details)
        if let assignee = task["assignee"]?.stringValue {
            try host.emit(type: "task.assigned", data: ["task_id": .string(id), "assignee": .string(assignee), "title": .string(title),
                                                        "urgent": .bool(Vocabulary.rank(details.priority) >= 3)])
        }
        return try view(task, details)
    }

    func updateTask(_ id: String, _ body: JSON) throws -> JSON {
        guard var details = try host.get(Collections.tasks, id, as: TaskDetails.self) else { throw PluginError.notFound("no task \(id)") }
        var request: [String: JSON] = ["id": .string(id)]
        if let status = body["status"]?.stringValue { request["status"] = .string(try Vocabulary.check(status, in: Vocabulary.taskStatuses, field: "status")) }
        if let priority = body["priority"]?.stringValue {
            details.priority = try Vocabulary.check(priority, in: Vocabulary.priorities, field: "priority")
            request["priority"] = .string(priority == "critical" ? "urgent" : priority)
        }
        if let title = body["task_title"]?.stringValue { request["title"] = .string(title) }
        if let assignee = body["assigned_to_contact_id"] { request["assignee"] = assignee }
        if let notes = body["completion_notes"]?.stringValue { details.completionNotes = notes }
        if body["due_date"] != nil || body["due_time"] != nil {
            details.dueDate = body["due_date"]?.stringValue ?? details.dueDate
            details.dueTime = body["due_time"]?.stringValue ?? details.dueTime
            if let due = dueAt(date: details.dueDate, time: details.dueTime) { request["due_at"] = .number(Double(due)) }
        }
        let task = try host.call("tasks.update", JSON.object(request))
        try host.put(Collections.tasks, id, details)
        if let assignee = body["assigned_to_contact_id"]?.stringValue {
            try host.emit(type: "task.assigned", data: ["task_id": .string(id), "assignee": .string(assignee), "title": task["title"] ?? .null,
                                                        "urgent": .bool(Vocabulary.rank(details.priority) >= 3)])
        }
        return try view(task, details)
    }

    /// `GET /api/tasks`: the plugin's tasks, filtered by status, assignee, thread or `overdue=true`.
    func listTasks(_ query: [String: String]) throws -> JSON {
        var request: [String: JSON] = ["limit": 200]
        if let status = query["status"] { request["status"] = .string(status) }
        if let assignee = query["assigned_to_contact_id"] { request["assignee"] = .string(assignee) }
        if query["overdue"] == "true" { request["overdue"] = "true" }
        let tasks = try host.call("tasks.list", JSON.object(request))["data"]?.arrayValue ?? []
        let views = try tasks.compactMap { task -> JSON? in
            guard let id = task["id"]?.stringValue, let details = try host.get(Collections.tasks, id, as: TaskDetails.self) else { return nil }
            if let thread = query["thread_id"], details.threadID != thread { return nil }
            return try view(task, details)
        }
        return ["data": .array(views)]
    }

    /// `yyyy-MM-dd` and `HH:mm` in the tenant's timezone as epoch ms (09:00 when no time is given).
    func dueAt(date: String?, time: String?) -> Int64? {
        guard let date else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = config.calendar.timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: "\(date) \(time ?? "09:00")").map(millis)
    }

    private func view(_ task: JSON, _ details: TaskDetails) throws -> JSON {
        var view = try JSON(encoding: details).objectValue ?? [:]
        view["id"] = task["id"]
        view["task_title"] = task["title"]
        view["task_description"] = task["description"]
        view["status"] = task["status"]
        view["assigned_to_contact_id"] = task["assignee"]
        view["completed_at"] = task["completed_at"]
        view["due_at"] = task["due_at"]
        return .object(view)
    }
}

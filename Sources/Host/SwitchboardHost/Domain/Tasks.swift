import SwitchboardJSON

/// A task (seed 004's internal_task): what, for whom, by when.
public struct TaskItem: Codable, Sendable {
    public var id: String
    public var title: String
    public var description: String?
    public var taskType: String
    public var priority: String
    public var status: String
    public var assignee: String?
    public var contactID: String?
    public var conversationID: String?
    public var dueAt: Int64?
    public var reminderAt: Int64?
    public var completedAt: Int64?
    public var createdBy: String
    public var createdAt: Int64
    public var updatedAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, title, description, priority, status, assignee
        case taskType = "task_type", contactID = "contact_id", conversationID = "conversation_id", dueAt = "due_at"
        case reminderAt = "reminder_at", completedAt = "completed_at", createdBy = "created_by"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    public static let types: Set<String> = [
        "follow_up", "callback", "quote", "installation", "review", "escalation", "internal", "reminder", "other",
    ]
    public static let priorities: Set<String> = ["low", "normal", "high", "urgent"]
    public static let statuses: Set<String> = ["open", "in_progress", "waiting", "completed", "cancelled"]

    /// A new open task created now.
    public init(
        title: String, description: String? = nil, taskType: String = "follow_up", priority: String = "normal",
        assignee: String? = nil, contactID: String? = nil, conversationID: String? = nil, dueAt: Int64? = nil,
        reminderAt: Int64? = nil, createdBy: String
    ) {
        let now = Clock.nowMillis()
        self.id = Identifier.make()
        self.title = title
        self.description = description
        self.taskType = taskType
        self.priority = priority
        self.status = "open"
        self.assignee = assignee
        self.contactID = contactID
        self.conversationID = conversationID
        self.dueAt = dueAt
        self.reminderAt = reminderAt
        self.completedAt = nil
        self.createdBy = createdBy
        self.createdAt = now
        self.updatedAt = now
    }

    init(row: Row) {
        id = row.string("id") ?? ""
        title = row.string("title") ?? ""
        description = row.string("description")
        taskType = row.string("task_type") ?? "other"
        priority = row.string("priority") ?? "normal"
        status = row.string("status") ?? "open"
        assignee = row.string("assignee")
        contactID = row.string("contact_id")
        conversationID = row.string("conversation_id")
        dueAt = row.int("due_at")
        reminderAt = row.int("reminder_at")
        completedAt = row.int("completed_at")
        createdBy = row.string("created_by") ?? ""
        createdAt = row.int("created_at") ?? 0
        updatedAt = row.int("updated_at") ?? 0
    }
}

/// Tenant-scoped tasks. A new task records `task.created`, a change `task.updated`.
public struct TaskStore: Sendable {
    public let database: Database
    let events: EventLog

    public func create(tenantID: String, task: TaskItem, actor: Actor = .system, in connection: SQLConnection? = nil) throws -> TaskItem {
        let insert = { (connection: SQLConnection) -> TaskItem in
            try connection.execute(
                """
                INSERT INTO tasks (tenant_id, id, title, description, task_type, priority, status, assignee, contact_id,
                                   conversation_id, due_at, reminder_at, created_by, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
                """,
                [.text(tenantID), .text(task.id), .text(task.title), .text(task.description), .text(task.taskType),
                 .text(task.priority), .text(task.status), .text(task.assignee), .text(task.contactID),
                 .text(task.conversationID), task.dueAt.map(SQLValue.integer) ?? .null,
                 task.reminderAt.map(SQLValue.integer) ?? .null, .text(task.createdBy), .integer(task.createdAt)])
            try events.record(
                EventDraft(EventCatalogue.taskCreated, data: ["task": try JSON(encoding: task)], contactID: task.contactID, conversationID: task.conversationID),
                tenantID: tenantID, actor: actor, in: connection)
            return task
        }
        if let connection { return try insert(connection) }
        return try database.transaction { try insert($0) }
    }

    public func find(tenantID: String, id: String) throws -> TaskItem? {
        try database.read {
            try $0.query("SELECT * FROM tasks WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)]).first.map(TaskItem.init(row:))
        }
    }

    public func list(tenantID: String, filter: [String: String], page: PageRequest) throws -> Page<TaskItem> {
        var sql = "SELECT * FROM tasks WHERE tenant_id = $1"
        var parameters: [SQLValue] = [.text(tenantID)]
        for key in ["status", "assignee", "priority", "task_type", "contact_id", "conversation_id"] {
            guard let value = filter[key] else { continue }
            parameters.append(.text(value))
            sql += " AND \(key) = $\(parameters.count)"
        }
        if filter["overdue"] == "true" {
            parameters.append(.integer(Clock.nowMillis()))
            sql += " AND due_at < $\(parameters.count) AND status NOT IN ('completed', 'cancelled')"
        }
        return try database.read { try page.fetch(sql: sql, parameters: parameters, in: $0) { TaskItem(row: $0) } }
    }

    /// Writes back a task after the caller changed its fields, and records `task.updated` with what changed.
    public func save(tenantID: String, task: TaskItem, actor: Actor = .system) throws {
        try database.transaction { connection in
            let before = try connection.query(
                "SELECT * FROM tasks WHERE tenant_id = $1 AND id = $2" + database.dialect.forUpdate, [.text(tenantID), .text(task.id)]
            ).first.map(TaskItem.init(row:))
            try connection.execute(
                """
                UPDATE tasks SET title = $3, description = $4, task_type = $5, priority = $6, status = $7, assignee = $8,
                    due_at = $9, reminder_at = $10, completed_at = $11, updated_at = $12
                WHERE tenant_id = $1 AND id = $2
                """,
                [.text(tenantID), .text(task.id), .text(task.title), .text(task.description), .text(task.taskType),
                 .text(task.priority), .text(task.status), .text(task.assignee), task.dueAt.map(SQLValue.integer) ?? .null,
                 task.reminderAt.map(SQLValue.integer) ?? .null, task.completedAt.map(SQLValue.integer) ?? .null,
                 .integer(Clock.nowMillis())])
            guard let before else { return }
            var changes = Changes()
            changes.note("title", before.title, task.title)
            changes.note("description", before.description, task.description)
            changes.note("task_type", before.taskType, task.taskType)
            changes.note("priority", before.priority, task.priority)
            changes.note("status", before.status, task.status)
            changes.note("assignee", before.assignee, task.assignee)
            changes.note("due_at", before.dueAt, task.dueAt)
            changes.note("reminder_at", before.reminderAt, task.reminderAt)
            changes.note("completed_at", before.completedAt, task.completedAt)
            guard !changes.isEmpty else { return }
            try events.record(
                EventDraft(
                    EventCatalogue.taskUpdated, data: ["task": try JSON(encoding: task), "changes": changes.json],
                    contactID: before.contactID, conversationID: before.conversationID),
                tenantID: tenantID, actor: actor, in: connection)
        }
    }
}

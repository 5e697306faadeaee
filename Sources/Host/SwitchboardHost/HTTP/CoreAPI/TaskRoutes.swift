import Foundation
import Hummingbird
import SwitchboardJSON

/// `/api/v1/tasks`: internal tasks with types, priorities, statuses and due dates (seed 004's internal_task).
struct TaskRoutes {
    static let fields: Set<String> = [
        "title", "description", "task_type", "priority", "status", "assignee", "contact_id", "conversation_id", "due_at",
        "reminder_at",
    ]

    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/tasks", "List tasks by status, assignee, priority, task_type, contact_id, conversation_id or overdue=true",
                tag: "tasks", permission: "tasks:read", response: "TaskPage") { request, context in
            let page = try request.pageRequest()
            let filter = request.filters(["status", "assignee", "priority", "task_type", "contact_id", "conversation_id", "overdue"])
            return try json(try await context.perform { try $0.services.tasks.list(tenantID: $0.slug, filter: filter, page: page) })
        }

        api.add(.post, "/api/v1/tasks", "Create a task", tag: "tasks", permission: "tasks:write", request: "TaskInput",
                response: "Task", status: 201) { request, context in
            var body = try await JSONBody.read(request, context, allowed: Self.fields)
            let title = body.string("title", required: true, maxLength: 300) ?? ""
            var task = TaskItem(title: title, createdBy: context.identity?.actor ?? "api")
            Self.apply(&body, to: &task)
            try body.finish()
            let newTask = task
            let created = try await context.perform { tenant -> TaskItem in
                try Self.checkReferences(newTask, tenant)
                return try tenant.services.tasks.create(tenantID: tenant.slug, task: newTask)
            }
            return try json(created, status: .created)
        }

        api.add(.get, "/api/v1/tasks/{id}", "Get a task", tag: "tasks", permission: "tasks:read", response: "Task") { _, context in
            let id = try context.parameter("id")
            guard let task = try await context.perform({ try $0.services.tasks.find(tenantID: $0.slug, id: id) }) else {
                throw Problem.notFound("Task \(id)")
            }
            return try json(task)
        }

        api.add(.patch, "/api/v1/tasks/{id}", "Update a task; status completed sets completed_at", tag: "tasks", permission: "tasks:write",
                request: "TaskInput", response: "Task") { request, context in
            let id = try context.parameter("id")
            var body = try await JSONBody.read(request, context, allowed: Self.fields)
            guard var task = try await context.perform({ try $0.services.tasks.find(tenantID: $0.slug, id: id) }) else {
                throw Problem.notFound("Task \(id)")
            }
            if let title = body.string("title", maxLength: 300) { task.title = title }
            Self.apply(&body, to: &task)
            try body.finish()
            let changed = task
            let updated = try await context.perform { tenant -> TaskItem? in
                try Self.checkReferences(changed, tenant)
                try tenant.services.tasks.save(tenantID: tenant.slug, task: changed)
                return try tenant.services.tasks.find(tenantID: tenant.slug, id: id)
            }
            guard let updated else { throw Problem.notFound("Task \(id)") }
            return try json(updated)
        }
    }

    /// Applies the optional fields of a task body.
    static func apply(_ body: inout JSONBody, to task: inout TaskItem) {
        if body.has("description") { task.description = body.string("description", maxLength: 5000) }
        if let type = body.string("task_type", oneOf: TaskItem.types) { task.taskType = type }
        if let priority = body.string("priority", oneOf: TaskItem.priorities) { task.priority = priority }
        if let status = body.string("status", oneOf: TaskItem.statuses) {
            if status == "completed" && task.status != "completed" { task.completedAt = Clock.nowMillis() }
            if status != "completed" { task.completedAt = nil }
            task.status = status
        }
        if body.has("assignee") { task.assignee = body.string("assignee", maxLength: 200) }
        if body.has("contact_id") { task.contactID = body.string("contact_id", maxLength: 64) }
        if body.has("conversation_id") { task.conversationID = body.string("conversation_id", maxLength: 64) }
        if body.has("due_at") { task.dueAt = body.integer("due_at", range: 0...9_999_999_999_999) }
        if body.has("reminder_at") { task.reminderAt = body.integer("reminder_at", range: 0...9_999_999_999_999) }
    }

    /// A task may only point at this tenant's contacts and conversations.
    static func checkReferences(_ task: TaskItem, _ tenant: Tenant) throws {
        if let contactID = task.contactID, try tenant.services.contacts.find(tenantID: tenant.slug, .id(contactID)) == nil {
            throw Problem(status: .unprocessableContent, title: "Validation failed", detail: "No such contact.",
                          errors: [.init(path: "contact_id", message: "no contact \(contactID) in this tenant")])
        }
        if let conversationID = task.conversationID, try tenant.services.conversations.find(tenantID: tenant.slug, id: conversationID) == nil {
            throw Problem(status: .unprocessableContent, title: "Validation failed", detail: "No such conversation.",
                          errors: [.init(path: "conversation_id", message: "no conversation \(conversationID) in this tenant")])
        }
    }
}

import Foundation
import PluginAPI

/// `/api/communication/threads`: the unified inbox with the seed's filters (all, email, whatsapp,
/// tasks, overdue, mine), sorted by priority then due time (or `sort=due`), with cursor pagination.
extension ChargeCarsCommsPlugin {
    static let inboxFilters = ["all", "email", "whatsapp", "tasks", "overdue", "mine"]

    func listThreads(_ request: HTTPRequest) throws -> JSON {
        let query = request.query
        let filter = try Vocabulary.check(query["filter"] ?? "all", in: Self.inboxFilters, field: "filter")
        let me = query["assignee"] ?? request.identity?["name"]?.stringValue
        let now = millis(host.now)
        let selected = try threads.all().filter { thread in
            if let status = query["status"], thread.status != status { return false }
            switch filter {
            case "email": return thread.channelType == "email_outlook"
            case "whatsapp": return thread.channelType == "whatsapp_business"
            case "tasks": return thread.threadType == "internal_task" || ["internal_task", "internal_ticket"].contains(thread.channelType)
            case "overdue": return (thread.responseDueAt ?? .max) < now
            case "mine": return me != nil && thread.assignedToContactID == me
            default: return true
            }
        }
        let byDue = query["sort"] == "due"
        func key(_ thread: ThreadRecord) -> String {
            guard byDue else { return thread.inboxKey }
            let parts = thread.inboxKey.split(separator: "|")
            return "\(parts[1])|\(parts[0])|\(parts[2])"
        }
        let sorted = selected.map { (key($0), $0) }.sorted { $0.0 < $1.0 }
        let limit = min(max(Int(query["limit"] ?? "") ?? 25, 1), 100)
        let cursor = query["cursor"]
        let page = sorted.filter { entry in cursor.map { entry.0 > $0 } ?? true }.prefix(limit + 1)
        let data = try page.prefix(limit).map { try JSON(encoding: $0.1) }
        let next: JSON = page.count > limit ? .string(page[page.index(page.startIndex, offsetBy: limit - 1)].0) : .null
        return ["data": .array(data), "next_cursor": next]
    }

    /// `POST /api/communication/threads`: an internal thread, or one logged by hand (a phone call);
    /// `opened_at` (epoch ms) backdates it. Email and WhatsApp ones get their SLA clock.
    func createThread(_ body: JSON, identity: String?) throws -> JSON {
        guard let subject = body["thread_subject"]?.stringValue, !subject.isEmpty else { throw PluginError.badArgument("thread_subject is required") }
        let openedAt = body["opened_at"]?.doubleValue.map { Date(timeIntervalSince1970: $0 / 1000) } ?? host.now
        var thread = ThreadRecord(
            id: newID(), contactID: body["contact_id"]?.stringValue, threadSubject: subject,
            threadType: try Vocabulary.check(body["thread_type"]?.stringValue ?? "internal_task", in: Vocabulary.threadTypes, field: "thread_type"),
            priority: try Vocabulary.check(body["priority"]?.stringValue ?? "normal", in: Vocabulary.priorities, field: "priority"),
            status: "open",
            channelType: try Vocabulary.check(body["channel_type"]?.stringValue ?? "internal_comment", in: Vocabulary.channelTypes, field: "channel_type"),
            openedAt: millis(openedAt))
        thread.businessEntity = try Vocabulary.check(body["business_entity"]?.stringValue ?? config.defaultEntity, in: Vocabulary.businessEntities, field: "business_entity")
        thread.customerOrganizationID = body["customer_organization_id"]?.stringValue
        if let orderID = body["order_id"]?.stringValue {
            thread.orderID = orderID
        } else if let order = try order(in: subject, contact: [:]) {
            link(&thread, to: order)
        }
        thread.partnerOrganizationID = body["partner_organization_id"]?.stringValue
        thread.createdByContactID = body["created_by_contact_id"]?.stringValue ?? identity
        thread.tags = body["tags"]?.arrayValue?.compactMap(\.stringValue) ?? []
        thread.lastMessageAt = thread.openedAt
        if let assignee = body["assigned_to_contact_id"]?.stringValue {
            thread.assignedToContactID = assignee
            thread.team = config.routing[thread.threadType]
        } else {
            try autoAssign(&thread, text: subject)
        }
        if ["email_outlook", "whatsapp_business"].contains(thread.channelType) {
            try startSLA(&thread, target: try slaTarget(thread.channelType), now: openedAt)
        }
        try threads.save(thread)
        if thread.assignedToContactID != nil { try announceAssignment(thread) }
        return try JSON(encoding: thread)
    }

    /// `GET /api/communication/threads/{id}`: the thread with its messages and tasks.
    func threadDetail(_ id: String) throws -> JSON {
        let thread = try threads.require(id)
        var json = try JSON(encoding: thread).objectValue ?? [:]
        json["messages"] = try messages(of: thread)
        json["tasks"] = try listTasks(["thread_id": id])["data"]
        return .object(json)
    }

    /// `PUT /api/communication/threads/{id}`: status, priority, assignee, type, tags, links.
    func updateThread(_ id: String, _ body: JSON) throws -> JSON {
        var thread = try threads.require(id)
        let now = host.now
        let before = thread
        if let priority = body["priority"]?.stringValue { thread.priority = try Vocabulary.check(priority, in: Vocabulary.priorities, field: "priority") }
        if let type = body["thread_type"]?.stringValue { thread.threadType = try Vocabulary.check(type, in: Vocabulary.threadTypes, field: "thread_type") }
        if let entity = body["business_entity"]?.stringValue { thread.businessEntity = try Vocabulary.check(entity, in: Vocabulary.businessEntities, field: "business_entity") }
        if let subject = body["thread_subject"]?.stringValue { thread.threadSubject = subject }
        if let tags = body["tags"]?.arrayValue { thread.tags = tags.compactMap(\.stringValue) }
        for (key, path) in [("order_id", \ThreadRecord.orderID), ("customer_organization_id", \.customerOrganizationID), ("partner_organization_id", \.partnerOrganizationID)] {
            if let value = body[key] { thread[keyPath: path] = value.stringValue }
        }
        if let assignee = body["assigned_to_contact_id"] {
            thread.assignedToContactID = assignee.stringValue
            if thread.autoAssigned == true { thread.assignmentChangedByHand = true }
        }
        if let status = body["status"]?.stringValue {
            thread.status = try Vocabulary.check(status, in: Vocabulary.threadStatuses, field: "status")
            if status == "waiting_customer" { try pauseSLA(&thread, at: now) }
            if before.status == "waiting_customer", status != "waiting_customer" { try resumeSLA(&thread, at: now) }
            if Vocabulary.finished.contains(status) {
                if thread.resolvedAt == nil { thread.resolvedAt = millis(now) }
                thread.responseDueAt = nil
                try cancelSLA(thread)
            }
        }
        try threads.save(thread)
        if thread.status != before.status { try announceStatus(thread) }
        if thread.assignedToContactID != before.assignedToContactID, thread.assignedToContactID != nil { try announceAssignment(thread) }
        if let team = thread.team, Vocabulary.finished.contains(thread.status) || thread.assignedToContactID != before.assignedToContactID {
            try drainQueue(team)
        }
        return try JSON(encoding: thread)
    }
}

import CPluginABI
import Foundation
import SwitchboardJSON

/// The named host services behind `sb_host_api.call` (ABI 1.1), each scoped to the calling
/// instance's tenant. Requests and replies are JSON; docs/plugin-abi.md lists them.
enum HostCalls {
    typealias Method = @Sendable (HostContext, JSON) throws -> JSON?

    static let methods: [String: Method] = [
        "contacts.create": createContact,
        "contacts.delete": deleteContact,
        "contacts.list": listContacts,
        "records.aggregate": aggregateRecords,
        "conversations.get": getConversation,
        "conversations.list": listConversations,
        "conversations.update": updateConversation,
        "messages.list": listMessages,
        "messages.note": addNote,
        "tasks.create": createTask,
        "tasks.update": updateTask,
        "tasks.list": listTasks,
        "templates.list": listTemplates,
        "templates.upsert": upsertTemplate,
        "templates.record_use": recordTemplateUse,
        "audit.record": recordAudit,
        "calendar.events": calendarEvents,
        "calendar.busy": calendarBusy,
        "calendar.create": createEvent,
        "calendar.update": updateEvent,
        "calendar.ics": calendarICS,
        "files.list": listFiles,
        "files.read": readFile,
        "pdf.render": renderPDF,
        "secrets.seal": sealSecret,
        "secrets.open": openSecret,
        "store.batch": storeBatch,
    ]

    // MARK: Helpers

    private static func required(_ request: JSON, _ key: String) throws -> String {
        guard let value = request[key]?.stringValue, !value.isEmpty else { throw HostCallError.badArgument("\"\(key)\" is required") }
        return value
    }

    private static func millis(_ request: JSON, _ key: String) throws -> Int64 {
        guard let value = request[key]?.doubleValue else { throw HostCallError.badArgument("\"\(key)\" (epoch ms) is required") }
        return Int64(value)
    }

    private static func runningTenant(_ host: HostContext) throws -> Tenant {
        guard let tenant = host.tenant() else { throw HostCallError.notFound("the tenant is no longer running") }
        return tenant
    }

    // MARK: Contacts

    private static let createContact: Method = { host, request in
        let phone = request["phone"]?.stringValue, email = request["email"]?.stringValue
        if let phone, phone.range(of: Formats.e164, options: .regularExpression) == nil {
            throw HostCallError.badArgument("phone must be E.164, e.g. +4915112345678")
        }
        let contacts = host.services.contacts
        if let phone, let existing = try contacts.find(tenantID: host.tenantID, .phone(phone)) { return try JSON(encoding: existing) }
        if let email, let existing = try contacts.find(tenantID: host.tenantID, .email(email)) { return try JSON(encoding: existing) }
        let contact = try contacts.create(
            tenantID: host.tenantID, name: request["name"]?.stringValue, phone: phone, email: email,
            attributes: request["attributes"]?.objectValue ?? [:], actor: host.actor)
        if let tenant = host.tenant() { tenant.automation.settle(contactID: contact.id, tenant: tenant) }
        return try JSON(encoding: contacts.find(tenantID: host.tenantID, .id(contact.id)) ?? contact)
    }

    /// One page of contacts, filtered by `label`, `attributes` ({name: value}) and `q`, as `GET /api/v1/contacts`.
    private static let listContacts: Method = { host, request in
        let attributes = (request["attributes"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        return try JSON(encoding: host.services.contacts.list(
            tenantID: host.tenantID, label: request["label"]?.stringValue, attributes: attributes, search: request["q"]?.stringValue,
            page: PageRequest(limit: Int(request["limit"]?.doubleValue ?? 50), cursor: request["cursor"]?.stringValue)))
    }

    /// Removes a contact's personal data (GDPR erasure); an anonymised audit stub stays.
    private static let deleteContact: Method = { host, request in
        let id = try required(request, "id")
        let deleted = try host.services.database.transaction { connection -> Bool in
            try connection.execute("DELETE FROM contact_labels WHERE tenant_id = $1 AND contact_id = $2", [.text(host.tenantID), .text(id)])
            try connection.execute(
                "UPDATE messages SET content = NULL, variables = NULL, recipient = NULL WHERE tenant_id = $1 AND contact_id = $2",
                [.text(host.tenantID), .text(id)])
            let deleted = try host.services.contacts.delete(tenantID: host.tenantID, id: id, actor: host.actor, in: connection)
            if deleted {
                try host.services.audit.record(
                    tenantID: host.tenantID, actor: host.actor.name, action: "data_deleted", subject: id, in: connection)
            }
            return deleted
        }
        guard deleted else { throw HostCallError.notFound("no contact \(id)") }
        return ["deleted": true]
    }

    // MARK: Records

    /// Counts, sums, averages, extremes and percentiles over the plugin's own records (`RecordAggregate`).
    private static let aggregateRecords: Method = { host, request in
        let query: RecordAggregate
        do { query = try RecordAggregate(request) } catch let invalid as RecordAggregate.Invalid { throw HostCallError.badArgument(invalid.description) }
        return try host.services.records.aggregate(.init(tenantID: host.tenantID, pluginID: host.pluginID), query)
    }

    // MARK: Conversations and messages

    private static let getConversation: Method = { host, request in
        let id = try required(request, "id")
        guard let conversation = try host.services.conversations.find(tenantID: host.tenantID, id: id) else {
            throw HostCallError.notFound("no conversation \(id)")
        }
        return try JSON(encoding: conversation)
    }

    private static let listConversations: Method = { host, request in
        var filter: [String: String] = [:]
        for key in ["contact_id", "status", "channel", "assignee"] { filter[key] = request[key]?.stringValue }
        let page = try host.services.conversations.list(
            tenantID: host.tenantID, filter: filter, page: PageRequest(limit: Int(request["limit"]?.doubleValue ?? 50), cursor: request["cursor"]?.stringValue))
        return try JSON(encoding: page)
    }

    /// Status, assignee, team, owner (bot/human) and attributes, in one change and one `conversation.updated`.
    private static let updateConversation: Method = { host, request in
        let id = try required(request, "id")
        if let status = request["status"]?.stringValue, !Conversation.statuses.contains(status) {
            throw HostCallError.badArgument("status must be one of \(Conversation.statuses.sorted().joined(separator: ", "))")
        }
        let owner = request["owner"]?.stringValue
        if let owner, !["bot", "human"].contains(owner) { throw HostCallError.badArgument("owner must be bot or human") }
        let assignee: String?? = request["assignee"].map { $0.stringValue }
        let team: String?? = request["team"].map { $0.stringValue }
        guard let change = try host.services.conversations.update(
            tenantID: host.tenantID, id: id, status: request["status"]?.stringValue, assignee: assignee, team: team,
            attributes: request["attributes"]?.objectValue ?? [:], owner: owner, actor: host.actor)
        else { throw HostCallError.notFound("no conversation \(id)") }
        if let tenant = host.tenant() { tenant.automation.settle(contactID: change.after.contactID, tenant: tenant) }
        return try JSON(encoding: host.services.conversations.find(tenantID: host.tenantID, id: id))
    }

    /// `{conversation_id, text, author?}` → the internal note, a message that is never sent.
    private static let addNote: Method = { host, request in
        let id = try required(request, "conversation_id"), text = try required(request, "text")
        guard text.count <= 10_000 else { throw HostCallError.badArgument("\"text\" is longer than 10,000 characters") }
        let author = request["author"]?.stringValue ?? "plugin:\(host.pluginID)"
        guard let note = try host.services.conversations.addNote(
            tenantID: host.tenantID, conversationID: id, text: text, author: author, actor: host.actor)
        else {
            throw HostCallError.notFound("no conversation \(id)")
        }
        return try JSON(encoding: note)
    }

    /// One page of a conversation's messages, oldest first (`newest_first: true` turns it round), each with its
    /// `details`: what the channel adapter kept of an inbound message (an email's subject and HTML, stored
    /// attachments) or an outbound one's variables.
    private static let listMessages: Method = { host, request in
        let id = try required(request, "conversation_id")
        var page = try JSON(encoding: host.services.conversations.messages(
            tenantID: host.tenantID, conversationID: id,
            page: PageRequest(limit: Int(request["limit"]?.doubleValue ?? 100), cursor: request["cursor"]?.stringValue),
            newestFirst: request["newest_first"]?.boolValue ?? false)).objectValue ?? [:]
        let rows = try host.services.database.read {
            try $0.query("SELECT id, variables FROM messages WHERE tenant_id = $1 AND conversation_id = $2", [.text(host.tenantID), .text(id)])
        }
        var details: [String: JSON] = [:]
        for row in rows { details[row.string("id") ?? ""] = row.string("variables").flatMap { try? JSON.parse($0) } }
        page["data"] = .array((page["data"]?.arrayValue ?? []).map { message in
            var message = message.objectValue ?? [:]
            message["details"] = details[message["id"]?.stringValue ?? ""] ?? .object([:])
            return .object(message)
        })
        return .object(page)
    }

    // MARK: Tasks

    private static let createTask: Method = { host, request in
        var task = TaskItem(
            title: try required(request, "title"), description: request["description"]?.stringValue,
            taskType: request["task_type"]?.stringValue ?? "follow_up", priority: request["priority"]?.stringValue ?? "normal",
            assignee: request["assignee"]?.stringValue, contactID: request["contact_id"]?.stringValue,
            conversationID: request["conversation_id"]?.stringValue, dueAt: request["due_at"]?.doubleValue.map { Int64($0) },
            createdBy: "plugin:\(host.pluginID)")
        guard TaskItem.types.contains(task.taskType), TaskItem.priorities.contains(task.priority) else {
            throw HostCallError.badArgument("task_type or priority is not one of the allowed values")
        }
        task.reminderAt = request["reminder_at"]?.doubleValue.map { Int64($0) }
        return try JSON(encoding: host.services.tasks.create(tenantID: host.tenantID, task: task, actor: host.actor))
    }

    private static let updateTask: Method = { host, request in
        let id = try required(request, "id")
        guard var task = try host.services.tasks.find(tenantID: host.tenantID, id: id) else { throw HostCallError.notFound("no task \(id)") }
        if let status = request["status"]?.stringValue {
            guard TaskItem.statuses.contains(status) else { throw HostCallError.badArgument("unknown status \(status)") }
            if status == "completed", task.status != "completed" { task.completedAt = Clock.nowMillis() }
            task.status = status
        }
        if let priority = request["priority"]?.stringValue, TaskItem.priorities.contains(priority) { task.priority = priority }
        if let assignee = request["assignee"] { task.assignee = assignee.stringValue }
        if let due = request["due_at"]?.doubleValue { task.dueAt = Int64(due) }
        if let title = request["title"]?.stringValue { task.title = title }
        try host.services.tasks.save(tenantID: host.tenantID, task: task, actor: host.actor)
        return try JSON(encoding: host.services.tasks.find(tenantID: host.tenantID, id: id))
    }

    private static let listTasks: Method = { host, request in
        var filter: [String: String] = [:]
        for key in ["status", "assignee", "priority", "task_type", "contact_id", "conversation_id", "overdue"] { filter[key] = request[key]?.stringValue }
        return try JSON(encoding: host.services.tasks.list(
            tenantID: host.tenantID, filter: filter, page: PageRequest(limit: Int(request["limit"]?.doubleValue ?? 50), cursor: request["cursor"]?.stringValue)))
    }

    // MARK: Templates and audit

    private static let listTemplates: Method = { host, request in
        var filter: [String: String] = [:]
        for key in ["channel", "language", "name", "category"] { filter[key] = request[key]?.stringValue }
        return try JSON(encoding: host.services.templates.list(tenantID: host.tenantID, filter: filter, page: PageRequest(limit: 200)))
    }

    /// Creates a template, or updates the body and state of the one with the same name, channel and language.
    private static let upsertTemplate: Method = { host, request in
        let name = try required(request, "name"), channel = try required(request, "channel"), body = try required(request, "body")
        let language = request["language"]?.stringValue ?? "en"
        guard MessageTemplate.channels.contains(channel) else { throw HostCallError.badArgument("unknown channel \(channel)") }
        let approval = request["approval_status"]?.stringValue ?? (channel == "whatsapp" ? "pending" : "not_required")
        guard MessageTemplate.approvalStatuses.contains(approval) else { throw HostCallError.badArgument("unknown approval_status \(approval)") }
        let templates = host.services.templates
        if var existing = try templates.exact(tenantID: host.tenantID, name: name, channel: channel, language: language) {
            existing.body = body
            existing.active = request["active"]?.boolValue ?? existing.active
            existing.htmlBody = request["html_body"]?.stringValue ?? existing.htmlBody
            existing.businessEntity = request["business_entity"]?.stringValue ?? existing.businessEntity
            existing.variables = MessageTemplate.placeholders(in: body)
            existing.approvalStatus = approval
            existing.category = request["category"]?.stringValue ?? existing.category
            existing.subject = request["subject"]?.stringValue ?? existing.subject
            try templates.save(tenantID: host.tenantID, template: existing)
            return try JSON(encoding: existing)
        }
        let now = Clock.nowMillis()
        let template = MessageTemplate(
            id: Identifier.make(), name: name, channel: channel, language: language, category: request["category"]?.stringValue ?? "utility",
            subject: request["subject"]?.stringValue, body: body, htmlBody: request["html_body"]?.stringValue,
            variables: MessageTemplate.placeholders(in: body), approvalStatus: approval,
            businessEntity: request["business_entity"]?.stringValue, active: request["active"]?.boolValue ?? true, usageCount: 0,
            createdAt: now, updatedAt: now)
        try templates.create(tenantID: host.tenantID, template: template)
        return try JSON(encoding: template)
    }

    /// Counts one use of the active template `name` (on `channel`, preferring `language`) atomically.
    private static let recordTemplateUse: Method = { host, request in
        let name = try required(request, "name")
        guard let template = try host.services.templates.named(
            tenantID: host.tenantID, name: name, channel: request["channel"]?.stringValue, language: request["language"]?.stringValue)
        else { throw HostCallError.notFound("no active template \(name)") }
        let count = try host.services.templates.recordUse(tenantID: host.tenantID, id: template.id)
        return ["id": .string(template.id), "usage_count": .number(Double(count))]
    }

    private static let recordAudit: Method = { host, request in
        try host.services.audit.record(
            tenantID: host.tenantID, actor: "plugin:\(host.pluginID)", action: try required(request, "action"),
            subject: request["subject"]?.stringValue, details: request["details"] ?? .object([:]))
        return nil
    }

    // MARK: Calendar

    private static let calendarEvents: Method = { host, request in
        let events = try host.services.calendar.events(
            tenantID: host.tenantID, from: try millis(request, "from"), to: try millis(request, "to"),
            includeCancelled: request["include_cancelled"]?.boolValue ?? false)
        return ["events": try JSON(encoding: events)]
    }

    /// Busy time in [from, to): the tenant calendar's events, plus the Google Calendar's busy intervals when the
    /// manifest has one. `google` reports that call; when it failed, `busy` holds the tenant calendar alone.
    private static let calendarBusy: Method = { host, request in
        let from = try millis(request, "from"), to = try millis(request, "to")
        var busy: [JSON] = try host.services.calendar.events(tenantID: host.tenantID, from: from, to: to).map {
            ["starts_at": .number(Double($0.startsAt)), "ends_at": .number(Double($0.endsAt)), "source": "calendar"]
        }
        var reply: [String: JSON] = [:]
        if let google = GoogleCalendar.of(host) {
            reply["google"] = GoogleCalendar.attempt(host, operation: "freeBusy") {
                let intervals = try google.busy(from: from, to: to)
                busy += intervals.map { ["starts_at": .number(Double($0.start)), "ends_at": .number(Double($0.end)), "source": "google"] }
                return ["busy": .number(Double(intervals.count))]
            }
        }
        reply["busy"] = .array(busy)
        return .object(reply)
    }

    /// Creates an event; with a Google Calendar in the manifest it is inserted there too (`google` reports that call).
    private static let createEvent: Method = { host, request in
        let starts = try millis(request, "starts_at"), ends = try millis(request, "ends_at")
        guard ends > starts else { throw HostCallError.badArgument("ends_at must be after starts_at") }
        let draft = CalendarStore.Draft(
            title: try required(request, "title"), description: request["description"]?.stringValue, location: request["location"]?.stringValue,
            startsAt: starts, endsAt: ends, status: request["status"]?.stringValue ?? "confirmed",
            contactID: request["contact_id"]?.stringValue, conversationID: request["conversation_id"]?.stringValue)
        let event = try host.services.calendar.create(tenantID: host.tenantID, draft, source: host.actor.name, actor: host.actor)
        guard let google = GoogleCalendar.of(host), case .object(var reply) = try JSON(encoding: event) else { return try JSON(encoding: event) }
        reply["google"] = GoogleCalendar.attempt(host, operation: "events.insert", subject: event.id) {
            ["event_id": .string(try google.insert(event))]
        }
        return .object(reply)
    }

    /// Moves (starts_at, ends_at), renames or cancels (status cancelled) an event.
    private static let updateEvent: Method = { host, request in
        let id = try required(request, "id")
        if let status = request["status"]?.stringValue, !CalendarEvent.statuses.contains(status) {
            throw HostCallError.badArgument("status must be confirmed, tentative or cancelled")
        }
        guard let event = try host.services.calendar.update(
            tenantID: host.tenantID, id: id, title: request["title"]?.stringValue,
            startsAt: request["starts_at"]?.doubleValue.map { Int64($0) }, endsAt: request["ends_at"]?.doubleValue.map { Int64($0) },
            status: request["status"]?.stringValue, actor: host.actor)
        else { throw HostCallError.notFound("no event \(id)") }
        return try JSON(encoding: event)
    }

    /// An RFC 5545 invitation (METHOD:REQUEST) for one event, as text.
    private static let calendarICS: Method = { host, request in
        let id = try required(request, "id")
        guard let event = try host.services.calendar.find(tenantID: host.tenantID, id: id) else { throw HostCallError.notFound("no event \(id)") }
        let tenant = try runningTenant(host)
        let text = ICalendar.document(
            events: [event], timezone: tenant.manifest.timezone, method: request["method"]?.stringValue ?? "REQUEST",
            domain: tenant.manifest.domains.first ?? tenant.slug, organizer: tenant.manifest.branding.emailSender.flatMap(Self.address),
            attendee: request["attendee"]?.stringValue)
        return ["ics": .string(text)]
    }

    // MARK: Tenant files (read-only): <tenants dir>/<slug>/…, e.g. a knowledge base next to the manifest

    /// The file or folder `path` inside the tenant's folder, refusing anything that leaves it.
    private static func tenantPath(_ host: HostContext, _ path: String) throws -> URL {
        guard let root = host.services.tenantFilesRoot else { throw HostCallError.notFound("this host keeps no tenant files") }
        let base = URL(fileURLWithPath: root).appendingPathComponent(host.tenantID).standardizedFileURL
        let target = base.appendingPathComponent(path).standardizedFileURL
        guard !path.hasPrefix("/"), target.path == base.path || target.path.hasPrefix(base.path + "/") else {
            throw HostCallError.denied("path_outside_tenant", "\(path) is outside the tenant's files")
        }
        return target
    }

    private static let listFiles: Method = { host, request in
        let folder = try tenantPath(host, request["path"]?.stringValue ?? "")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let files: [JSON] = names.sorted().compactMap { name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)
            guard attributes?[.type] as? FileAttributeType == .typeRegular else { return nil }
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return ["name": .string(name), "size": .number(Double((attributes?[.size] as? Int) ?? 0)), "modified_at": .number((modified * 1000).rounded())]
        }
        return ["files": .array(files)]
    }

    private static let readFile: Method = { host, request in
        let file = try tenantPath(host, try required(request, "path"))
        guard let data = FileManager.default.contents(atPath: file.path), data.count <= 5 << 20 else {
            throw HostCallError.notFound("no readable file \(request["path"]?.stringValue ?? "") (at most 5 MiB)")
        }
        let modified = ((try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate]) as? Date)?.timeIntervalSince1970 ?? 0
        guard let text = String(data: data, encoding: .utf8) else { return ["content_base64": .string(data.base64EncodedString()), "modified_at": .number((modified * 1000).rounded())] }
        return ["content": .string(text), "modified_at": .number((modified * 1000).rounded())]
    }

    // MARK: Documents

    /// A PDF of the document JSON described at `PDFRenderer`, rendered with libharu.
    private static let renderPDF: Method = { host, request in
        guard let document = request["document"], document.objectValue != nil else { throw HostCallError.badArgument("\"document\" is required") }
        let bytes = try PDFRenderer.render(document)
        return ["pdf_base64": .string(Data(bytes).base64EncodedString()), "size": .number(Double(bytes.count))]
    }

    // MARK: Record store

    /// Most writes one `store.batch` takes.
    static let maxBatchWrites = 1000

    /// `{writes: [{collection, key, value} | {collection, key, delete: true}]}`: the instance's records, put and
    /// deleted in order in one transaction, so that either every write lands or none does.
    private static let storeBatch: Method = { host, request in
        guard let list = request["writes"]?.arrayValue, list.count <= maxBatchWrites else {
            throw HostCallError.badArgument("\"writes\" must be a list of at most \(maxBatchWrites) writes")
        }
        let writes = try list.enumerated().map { index, write -> RecordStore.Write in
            guard let collection = write["collection"]?.stringValue, let key = write["key"]?.stringValue,
                [collection, key].allSatisfy({ !$0.isEmpty && $0.utf8.count <= 200 })
            else { throw HostCallError.badArgument("writes[\(index)] needs a collection and a key of 1 to 200 bytes") }
            if write["delete"]?.boolValue == true { return RecordStore.Write(collection: collection, key: key, value: nil) }
            guard let value = write["value"] else { throw HostCallError.badArgument("writes[\(index)] needs a value or delete: true") }
            return RecordStore.Write(collection: collection, key: key, value: try value.serialized())
        }
        try host.services.records.apply(host.recordScope, writes)
        return ["written": .number(Double(writes.count))]
    }

    // MARK: Secrets at rest (AES-256-GCM under SWITCHBOARD_MASTER_KEY, bound to the tenant)

    private static func box() throws -> SecretBox {
        do {
            return try SecretBox.fromEnvironment()
        } catch {
            throw HostCallError(status: SB_UNSUPPORTED, code: "no_master_key", message: "\(error)")
        }
    }

    private static let sealSecret: Method = { host, request in
        ["sealed": .string(try box().seal(try required(request, "plaintext"), tenantID: host.tenantID))]
    }

    private static let openSecret: Method = { host, request in
        do {
            return ["plaintext": .string(try box().open(try required(request, "sealed"), tenantID: host.tenantID))]
        } catch let failure as SecretBox.Failure {
            throw HostCallError.denied("unsealable", failure.description)
        }
    }

    /// The bare address of "Name <address>".
    private static func address(_ sender: String) -> String? {
        guard let open = sender.lastIndex(of: "<"), let close = sender.lastIndex(of: ">"), open < close else {
            return sender.contains("@") ? sender : nil
        }
        return String(sender[sender.index(after: open)..<close])
    }
}

import Foundation
import PluginAPI

/// GDPR operations (seed 002 §6 "DSGVO Ops"), for `tenant:admin`, each audited with seed 002's event
/// types: `data_exported`, `data_deleted` (by the host's `contacts.delete`), `consent_revoked`.
/// The body names the contact: `{"contact_id"}` or `{"phone"}`.
extension LeadQualifierPlugin {
    private func contact(of request: HTTPRequest) throws -> JSON {
        let body = try Self.body(request)
        if let id = body["contact_id"]?.stringValue { return try host.contact(["id": id]) }
        if let phone = body["phone"]?.stringValue { return try host.contact(["phone": phone]) }
        throw PluginError.badArgument("name the contact: contact_id or phone")
    }

    /// Everything held on a contact, as one JSON document.
    func exportData(_ request: HTTPRequest) throws -> HTTPResponse {
        let contact = try contact(of: request)
        let id = contact["id"]?.stringValue ?? ""
        var conversations: [JSON] = []
        for conversation in try service("conversations.list", ["contact_id": .string(id), "limit": 100])["data"]?.arrayValue ?? [] {
            let messages = try service("messages.list", ["conversation_id": conversation["id"] ?? .null, "limit": 500])["data"] ?? []
            var entry = conversation.objectValue ?? [:]
            entry["messages"] = messages
            conversations.append(.object(entry))
        }
        let document: JSON = [
            "exported_at": .string(ISO8601DateFormatter().string(from: host.now)),
            "contact": contact, "conversations": .array(conversations),
            "qualification_answers": try host.get(Collections.answers, id, as: JSON.self) ?? .null,
            "tasks_scheduled": .array(try tasks(of: id).map { try JSON(encoding: $0) }),
            "lead": try host.get(Collections.leads, id, as: JSON.self) ?? .null,
        ]
        try audit("data_exported", subject: id)
        return HTTPResponse(status: 200, headers: ["Content-Disposition": "attachment; filename=\"contact-\(id).json\""], json: document)
    }

    /// Cancels every job, removes the plugin's records and calendar bookings, then the host erases the contact.
    func deleteData(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = try contact(of: request)["id"]?.stringValue ?? ""
        for task in try tasks(of: id) { try host.cancelJobs(["unique_key": "\(task.taskType):\(id)"]) }
        for task in try tasks(of: id) { try host.delete(Collections.tasks, "\(task.taskType):\(id)") }
        if let eventID = try host.get(Collections.leads, id, as: LeadRecord.self)?.eventID {
            _ = try? service("calendar.update", ["id": .string(eventID), "status": "cancelled"])
            try host.delete(Collections.appointments, eventID)
        }
        try host.delete(Collections.answers, id)
        try host.delete(Collections.leads, id)
        try service("contacts.delete", ["id": .string(id)])
        return .ok(["contact_id": .string(id), "deleted": true])
    }

    func revokeConsent(_ request: HTTPRequest) throws -> HTTPResponse {
        let id = try contact(of: request)["id"]?.stringValue ?? ""
        let cancelled = try revoke(contactID: id, source: "api")
        return .ok(["contact_id": .string(id), "consent_status": "revoked", "cancelled_tasks": .number(Double(cancelled))])
    }

    /// Marks consent revoked (the host policy then blocks marketing) and cancels pending marketing tasks.
    @discardableResult
    func revoke(contactID: String, source: String) throws -> Int {
        let at = ISO8601DateFormatter().string(from: host.now)
        try host.updateContact(["id": .string(contactID), "attributes": ["consent_status": "revoked", "consent_revoked_at": .string(at)]])
        let marketing = try tasks(of: contactID).filter { $0.status == "pending" && TemplateCatalog.marketing.contains($0.payload["template"]?.stringValue ?? "") }
        try cancelTasks(marketing.map(\.taskType), contactID: contactID)
        let now = nowMillis
        try updateLead(contactID) { $0.optedOutAt = $0.optedOutAt ?? now }
        try audit("consent_revoked", subject: contactID, details: ["source": .string(source), "cancelled_tasks": .number(Double(marketing.count))])
        try sendToCRM("activity", ["contact_id": .string(contactID), "kind": "consent_revoked"])
        return marketing.count
    }

    func tasks(of contactID: String) throws -> [ScheduledTask] {
        let all = try host.query(Collections.tasks, as: ScheduledTask.self, where: ["contact_id": .string(contactID)], limit: 100)
        return all.records.map(\.value)
    }
}

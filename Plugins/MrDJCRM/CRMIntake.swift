import Foundation
import PluginAPI

extension Collections {
    /// `<source>:<sender's contact id>` → lead id, so later events of a sender's lead find it.
    static let intakeLinks = "crm_intake_links"
    /// `<source>:<event_id>` of every event taken in, so a redelivered one changes nothing.
    static let intakeEvents = "crm_intake_events"
}

extension MrDJCRMPlugin {
    /// `POST /hooks/mrdj/crm`: lead events from another system (the LeadQualifier's CRM webhook, or anything that
    /// speaks this format), signed `X-Signature: sha256=<hex HMAC-SHA256 of the body>` with `crm_intake_secret`:
    ///
    ///     {"type": "lead_upsert" | "activity" | "handover", "source": "leadqualifier", "event_id": "…",
    ///      "data": {"contact_id": "<the sender's id>", "name", "phone", "email", "status", "kind", "reason", …}}
    ///
    /// The first event of a sender's contact creates the lead and contact (deduplicated like the website form;
    /// it needs a phone or an email); a `status` of `qualified` or `disqualified` (→ `lost`) moves the lead. An
    /// activity becomes a note on the lead, a handover a high-priority task for the owner; fields MrDJCRM has no
    /// column for are kept in the activity's body. A repeated `event_id` changes nothing.
    func crmIntake(_ request: HTTPRequest) throws -> HTTPResponse {
        guard HMAC.verify(header: request.headers["x-signature"], body: request.body, secret: config.crmIntakeSecret) else {
            return HTTPResponse(status: 401, json: ["error": "bad or missing signature"])
        }
        let event = try Self.body(request)
        guard let type = event["type"]?.stringValue, ["lead_upsert", "activity", "handover"].contains(type) else {
            throw PluginError.badArgument("type must be lead_upsert, activity or handover")
        }
        guard let data = event["data"], data.objectValue != nil else { throw PluginError.badArgument("data must be an object") }
        let source = event["source"]?.stringValue ?? "crm"
        let eventKey = event["event_id"]?.stringValue.map { "\(source):\($0)" }
        if let eventKey, let leadID = try host.get(Collections.intakeEvents, eventKey, as: String.self) {
            return .ok(["lead_id": .string(leadID), "duplicate": true])
        }
        var lead = try intakeLead(data, source: source)
        if let status = Self.intakeStatus(data["status"]?.stringValue), lead.status != status, lead.status != "converted" {
            lead.status = status
            try host.put(Collections.leads, lead.id, lead)
        }
        if type != "lead_upsert" || Self.extraFields(data) != nil {
            try intakeActivity(type, data, lead: lead, source: source)
        }
        if let eventKey { try host.put(Collections.intakeEvents, eventKey, lead.id) }
        return .ok(["lead_id": .string(lead.id), "duplicate": false])
    }

    /// The lead linked to the sender's `contact_id`, else the open lead of the contact with this phone or email,
    /// created when there is none.
    private func intakeLead(_ data: JSON, source: String) throws -> Lead {
        let link = data["contact_id"]?.stringValue.map { "\(source):\($0)" }
        if let link, let leadID = try host.get(Collections.intakeLinks, link, as: String.self) { return try lead(leadID) }
        guard data["phone"]?.stringValue != nil || data["email"]?.stringValue != nil else {
            throw PluginError.notFound("no lead is linked to \(link ?? "this contact"); its first event needs a phone or an email")
        }
        let lead = try createLead(data, source: source).lead
        if let link { try host.put(Collections.intakeLinks, link, lead.id) }
        return lead
    }

    /// A note on the lead, or for a handover a task activity with a high-priority host task for the lead's owner.
    private func intakeActivity(_ type: String, _ data: JSON, lead: Lead, source: String) throws {
        let handover = type == "handover"
        let what = data[handover ? "reason" : "kind"]?.stringValue ?? data["status"]?.stringValue ?? type
        let subject = handover ? "Overnemen van \(source): \(what)" : "\(source): \(what)"
        var activity = Activity(
            id: try nextID("act"), kind: handover ? "task" : "note", subject: subject, body: Self.extraFields(data), leadID: lead.id,
            dealID: nil, author: source, dueAt: nil, createdAt: nowMillis)
        if handover { activity.taskID = try task(subject, assignee: lead.owner, contactID: lead.contactID, priority: "high") }
        try host.put(Collections.activities, activity.id, activity)
    }

    /// The sender's lead status in MrDJCRM's terms; nil leaves the lead's status as it is.
    static func intakeStatus(_ status: String?) -> String? {
        switch status {
        case "contacted", "qualified", "lost": status
        case "disqualified": "lost"
        default: nil
        }
    }

    /// The fields MrDJCRM keeps no column for, one `name: value` a line; nil when there are none.
    static func extraFields(_ data: JSON) -> String? {
        let known: Set<String> = ["contact_id", "name", "phone", "email", "status", "kind", "reason", "pipeline", "event_date", "venue", "message"]
        let lines = (data.objectValue ?? [:]).filter { !known.contains($0.key) }.sorted { $0.key < $1.key }.map { key, value in
            "\(key): \(value.stringValue ?? (try? value.serialized()) ?? "")"
        }
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }
}

import Foundation
import PluginAPI

extension MrDJCRMPlugin {
    /// Logs a note, call, email or task on a lead or deal. A task gets a host task for its owner; each
    /// `@name` mention in the body gets a task for that crew member. Any activity answers a new lead.
    func createActivity(_ body: JSON, author: String) throws -> Activity {
        let kind = body["kind"]?.stringValue ?? "note"
        guard ["note", "call", "email", "task"].contains(kind) else { throw PluginError.badArgument("kind must be note, call, email or task") }
        guard let subject = body["subject"]?.stringValue, !subject.isEmpty else { throw PluginError.badArgument("an activity needs a subject") }
        let leadID = body["lead_id"]?.stringValue, dealID = body["deal_id"]?.stringValue
        var contactID: String?
        if let leadID {
            var lead = try lead(leadID)
            contactID = lead.contactID
            if lead.firstResponseAt == nil {
                lead.firstResponseAt = nowMillis
                if lead.status == "new" { lead.status = "contacted" }
                try host.put(Collections.leads, lead.id, lead)
            }
        }
        if let dealID { contactID = try deal(dealID).contactID }
        let text = body["body"]?.stringValue
        var activity = Activity(
            id: try nextID("act"), kind: kind, subject: subject, body: text, leadID: leadID, dealID: dealID, author: author,
            dueAt: body["due_at"]?.doubleValue.map { Int64($0) }, mentions: Self.mentions(in: text ?? ""), createdAt: nowMillis)
        if kind == "task" {
            activity.taskID = try task(subject, assignee: body["assignee"]?.stringValue ?? author, contactID: contactID, dueAt: activity.dueAt)
        }
        for name in activity.mentions {
            try task("\(author) noemde je: \(subject)", assignee: name, contactID: contactID, dueAt: activity.dueAt, type: "internal")
        }
        try host.put(Collections.activities, activity.id, activity)
        return activity
    }

    /// The distinct `@name` handles in a text, in order.
    static func mentions(in text: String) -> [String] {
        var seen: [String] = []
        for word in text.split(whereSeparator: { $0.isWhitespace }) where word.hasPrefix("@") {
            let name = String(word.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-" })
                .trimmingCharacters(in: CharacterSet(charactersIn: ".-"))
            if !name.isEmpty, !seen.contains(name) { seen.append(name) }
        }
        return seen
    }
}

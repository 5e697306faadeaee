import PluginAPI

/// A lead as the API shows it (`GET /api/leadqualifier/leads/{contact_id}`), and the attendance mark
/// on an appointment that the show-up rate counts.
extension LeadQualifierPlugin {
    func leadView(_ contactID: String) throws -> HTTPResponse {
        let contact = try host.contact(["id": contactID])
        let conversation = try conversationID(of: contactID).map { try service("conversations.get", ["id": .string($0)]) } ?? .null
        return .ok([
            "contact": contact,
            "state": conversation["attributes"]?["lq_state"] ?? .null,
            "conversation": conversation,
            "qualification_answers": try host.get(Collections.answers, contactID, as: JSON.self) ?? .null,
            "tasks_scheduled": .array(try tasks(of: contactID).map { try JSON(encoding: $0) }),
        ])
    }

    /// `{"attended": true|false}` for the appointment (calendar event) `id`.
    func markAttendance(_ request: HTTPRequest) throws -> HTTPResponse {
        let eventID = request.params["id"] ?? ""
        guard let appointment = try host.get(Collections.appointments, eventID, as: JSON.self),
            let contactID = appointment["contact_id"]?.stringValue
        else { throw PluginError.notFound("no appointment \(eventID)") }
        guard let attended = try Self.body(request)["attended"]?.boolValue else { throw PluginError.badArgument("attended (true or false) is required") }
        var updated = appointment.objectValue ?? [:]
        updated["attended"] = .bool(attended)
        try host.put(Collections.appointments, eventID, JSON.object(updated))
        try updateLead(contactID) { $0.attended = attended }
        try sendToCRM("activity", ["contact_id": .string(contactID), "kind": attended ? "appointment_attended" : "appointment_no_show", "event_id": .string(eventID)])
        return .ok(["event_id": .string(eventID), "attended": .bool(attended)])
    }
}

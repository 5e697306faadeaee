import Foundation
import PluginAPI

/// `GET /api/tutorbot/slots?contact_id=…&limit=…&now=…` (calendar:read). `now` (ISO 8601 or epoch ms)
/// moves the clock for tests and needs `tenant:admin`. With a Google Calendar, `google_calendar` says whether
/// its busy time was included (`status` ok) or the answer comes from the tenant calendar alone (`failed`).
struct SlotsRoute {
    static let route = Route("GET", "/api/tutorbot/slots", permission: "calendar:read")

    let host: PluginAPI.Host
    let slots: SlotService

    func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let contactID = request.query["contact_id"], !contactID.isEmpty else { throw PluginError.badArgument("contact_id is required") }
        let limit = try request.query["limit"].map { text in
            guard let limit = Int(text), (1...500).contains(limit) else { throw PluginError.badArgument("limit must be 1…500") }
            return limit
        } ?? 10
        var now = host.now
        if let text = request.query["now"] {
            guard request.can("tenant:admin") else { throw PluginError(.denied, code: "forbidden", message: "now needs tenant:admin") }
            guard let parsed = Self.parseTime(text) else { throw PluginError.badArgument("now must be ISO 8601 or epoch milliseconds") }
            now = parsed
        }
        let contact: JSON
        do { contact = try host.contact(["id": contactID]) } catch let error as PluginError where error.status == .notFound {
            throw PluginError.notFound("no contact \(contactID)")
        }
        let preferences = try latestConversation(contactID)?["attributes"]?["preferred_times"]?.stringValue ?? ""
        let answer = try slots.suggest(contact: contact, preferences: preferences, now: now, limit: limit)
        var reply: [String: JSON] = [
            "contact_id": .string(contactID), "segment": .string(answer.segment), "profile": .string(answer.profile),
            "timezone": .string(slots.config.timeZone.identifier), "preferred_times": .string(preferences),
            "matched_preferences": .bool(answer.suggestion.matchedPreferences), "slots": answer.slotsJSON,
        ]
        if let google = answer.google { reply["google_calendar"] = google }
        return try .json(JSON.object(reply))
    }

    private func latestConversation(_ contactID: String) throws -> JSON? {
        try host.call("conversations.list", ["contact_id": .string(contactID), "limit": 1] as JSON)["data"]?.arrayValue?.first
    }

    static func parseTime(_ text: String) -> Date? {
        if let millis = Double(text) { return Date(millis: millis) }
        return ISO8601DateFormatter().date(from: text)
    }
}

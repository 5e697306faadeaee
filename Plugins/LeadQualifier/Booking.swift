import Foundation
import PluginAPI

/// The qualified path (seed 002 §4): two free slots from the tenant calendar within the configured
/// hours, the chosen one booked through `calendar.create`, and the three reminders scheduled;
/// a reschedule moves the event and its reminders, a cancel cancels both.
extension LeadQualifierPlugin {
    static let reminders: [(type: String, template: String, before: Int64)] = [
        ("reminder_22h", "appointment_reminder_22h_v1", 22 * 3_600_000),
        ("reminder_55m", "appointment_reminder_55m_v1", 55 * 60_000),
        ("reminder_5m", "appointment_reminder_5m_v1", 5 * 60_000),
    ]

    /// The first `count` free slots at least `min_lead_hours` ahead, within 14 days.
    func freeSlots(count: Int = 2) throws -> [Int64] {
        let settings = config.calendar
        let earliest = nowMillis + Int64(settings.minLeadHours) * 3_600_000
        let horizon = earliest + 14 * 86_400_000
        let events = try service("calendar.events", ["from": .number(Double(earliest)), "to": .number(Double(horizon))])["events"]?.arrayValue ?? []
        let busy = events.compactMap { event -> (Int64, Int64)? in
            guard let start = event["starts_at"]?.doubleValue, let end = event["ends_at"]?.doubleValue else { return nil }
            return (Int64(start), Int64(end))
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        let length = Int64(settings.slotMinutes) * 60_000
        var slots: [Int64] = []
        var day = calendar.startOfDay(for: Date(timeIntervalSince1970: Double(earliest) / 1000))
        for _ in 0..<15 where slots.count < count {
            if settings.weekdays.contains(calendar.component(.weekday, from: day)) {
                var minute = settings.dayStartMinute
                while minute + settings.slotMinutes <= settings.dayEndMinute, slots.count < count {
                    if let start = calendar.date(byAdding: .minute, value: minute, to: day) {
                        let ms = Int64(start.timeIntervalSince1970 * 1000)
                        if ms >= earliest, !busy.contains(where: { $0.0 < ms + length && ms < $0.1 }) { slots.append(ms) }
                    }
                    minute += settings.slotMinutes
                }
            }
            day = calendar.date(byAdding: .day, value: 1, to: day) ?? day
        }
        return slots
    }

    /// "Di., 24.11. um 10:00 Uhr" in the tenant's time zone.
    func format(_ ms: Int64, timeOnly: Bool = false) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        let parts = calendar.dateComponents([.weekday, .day, .month, .hour, .minute], from: Date(timeIntervalSince1970: Double(ms) / 1000))
        let time = String(format: "%02d:%02d", parts.hour ?? 0, parts.minute ?? 0)
        if timeOnly { return time }
        let weekday = ["So.", "Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa."][(parts.weekday ?? 1) - 1]
        return String(format: "%@, %02d.%02d. um %@ Uhr", weekday, parts.day ?? 0, parts.month ?? 0, time)
    }

    /// Offers two slots, after `intro` in the same message (two sends could arrive out of order).
    func offerSlots(_ turn: Turn, intro: String? = nil) throws {
        let prefix = intro.map { $0 + "\n\n" } ?? ""
        let slots = try freeSlots()
        guard slots.count == 2 else {
            try say(prefix + Texts.render(config.texts, "no_slots"), to: turn.contactID, channel: turn.channel)
            return try updateConversation(turn.conversationID, attributes: ["lq_state": "qualified"])
        }
        let offer = Texts.render(config.texts, "offer_slots", ["slot1": format(slots[0]), "slot2": format(slots[1])])
        try say(prefix + offer, to: turn.contactID, channel: turn.channel)
        try updateConversation(turn.conversationID, attributes: ["lq_state": "booking", "lq_misses": 0, "lq_slots": .array(slots.map { .number(Double($0)) })])
        try scheduleFollowUps(contactID: turn.contactID, conversationID: turn.conversationID, firstName: turn.firstName, askedAt: replyTime())
    }

    /// Books the slot, or moves the existing appointment when rescheduling.
    func book(_ turn: Turn, startsAt: Int64) throws {
        let endsAt = startsAt + Int64(config.calendar.slotMinutes) * 60_000
        let event: JSON
        if let existing = turn.attributes["lq_event_id"]?.stringValue {
            event = try service("calendar.update", ["id": .string(existing), "starts_at": .number(Double(startsAt)), "ends_at": .number(Double(endsAt)), "status": "confirmed"])
        } else {
            event = try service("calendar.create", [
                "title": .string("\(config.calendar.title): \(turn.firstName)"), "starts_at": .number(Double(startsAt)), "ends_at": .number(Double(endsAt)),
                "location": .string(config.calendar.meetingLink), "contact_id": .string(turn.contactID), "conversation_id": .string(turn.conversationID),
            ])
        }
        guard let eventID = event["id"]?.stringValue else { throw PluginError(.error, code: "calendar_failed", message: "no event id") }
        try say(Texts.render(config.texts, "booked", ["slot": format(startsAt), "meeting_link": config.calendar.meetingLink]), to: turn.contactID, channel: turn.channel)
        try updateConversation(turn.conversationID, attributes: ["lq_state": "booked", "lq_misses": 0, "lq_event_id": .string(eventID), "lq_slots": .null])
        try scheduleReminders(contactID: turn.contactID, conversationID: turn.conversationID, startsAt: startsAt)
        let now = nowMillis
        try updateLead(turn.contactID) { $0.bookedAt = $0.bookedAt ?? now; $0.eventID = eventID }
        try host.put(Collections.appointments, eventID, JSON.object(["contact_id": .string(turn.contactID), "starts_at": .number(Double(startsAt))]))
        try sendToCRM("activity", ["contact_id": .string(turn.contactID), "kind": "appointment_booked", "event_id": .string(eventID), "starts_at": .number(Double(startsAt))])
    }

    func scheduleReminders(contactID: String, conversationID: String, startsAt: Int64) throws {
        for reminder in Self.reminders {
            let runAt = startsAt - reminder.before
            guard runAt > nowMillis else { continue }
            let variables: JSON = switch reminder.type {
            case "reminder_22h": ["1": .string(format(startsAt, timeOnly: true))]
            case "reminder_55m": ["1": .string(config.calendar.meetingLink)]
            default: [:]
            }
            try scheduleTemplate(reminder.type, template: reminder.template, contactID: contactID, conversationID: conversationID, runAt: runAt, variables: variables)
        }
    }

    func cancelAppointment(_ turn: Turn) throws {
        if let eventID = turn.attributes["lq_event_id"]?.stringValue {
            try service("calendar.update", ["id": .string(eventID), "status": "cancelled"])
            try sendToCRM("activity", ["contact_id": .string(turn.contactID), "kind": "appointment_cancelled", "event_id": .string(eventID)])
        }
        try cancelTasks(Self.reminders.map(\.type), contactID: turn.contactID)
        try updateLead(turn.contactID) { $0.bookedAt = nil; $0.eventID = nil }
        try say(Texts.render(config.texts, "cancelled"), to: turn.contactID, channel: turn.channel)
        try updateConversation(turn.conversationID, attributes: ["lq_state": "qualified", "lq_event_id": .null])
    }
}

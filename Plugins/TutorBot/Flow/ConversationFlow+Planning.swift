import Foundation
import PluginAPI

/// Flow 3 (planning): age check, preferences, slots from `suggest_slots`, booking, confirmation with ICS.
extension ConversationFlow {
    /// Refuses a minor without guardian consent politely; otherwise records the age check and asks for preferred times.
    func startPlanning(_ turn: inout Turn) throws {
        switch turn.contactText("is_adult") {
        case nil:
            return try ask(&turn, "ask_adult", step: "ask_adult")
        case "false" where turn.contactText("guardian_consent") != "true":
            try turn.setConversation(["bot_step": "menu", "pending_intent": .null])
            return try turn.reply(text("planning_refused", turn))
        default:
            break
        }
        if turn.contactText("age_verified_at") == nil { try turn.setContact(["age_verified_at": .string(Turn.timestamp(host.now))]) }
        try turn.setConversation(["pending_intent": "plan", "age_verified": "true"])
        try ask(&turn, "ask_times", step: "ask_times")
    }

    /// Stores `preferred_times` and offers the first slots that fit (or the nearest ones, saying so).
    func askedTimes(_ turn: inout Turn) throws {
        try turn.setConversation(["preferred_times": .string(turn.text)])
        let contact = try host.contact(["id": turn.contactID])
        let answer = try slots.suggest(contact: contact, preferences: turn.text, now: host.now, limit: config.slotsOffered)
        guard !answer.suggestion.slots.isEmpty else {
            try turn.setConversation(["bot_step": "menu", "pending_intent": .null])
            return try turn.reply(text("no_slots", turn))
        }
        let offered = answer.suggestion.slots.map { JSON.array([.number($0.start.millis), .number($0.end.millis)]) }
        try turn.setConversation(["bot_step": "pick_slot", "offered_slots": .string(try JSON.array(offered).serialized()), "misunderstood": .null])
        let list = answer.suggestion.slots.enumerated().map { "\($0.offset + 1). \(describe($0.element.start, turn))" }.joined(separator: "\n")
        try turn.reply(text(answer.suggestion.matchedPreferences ? "offer_slots" : "no_preferred_slots", turn, ["slots": list]))
    }

    /// Books the chosen slot; new preferences instead of a number start the search again.
    func pickedSlot(_ turn: inout Turn) throws {
        let offered = (try? JSON.parse(turn.conversationText("offered_slots") ?? "[]").arrayValue) ?? []
        guard !offered.isEmpty, let choice = Intents.choice(turn.text, count: offered.count), let slot = offered[choice - 1].arrayValue,
            let starts = slot.first?.doubleValue, let ends = slot.last?.doubleValue
        else {
            if !SlotPreferences(text: turn.text).isEmpty { return try askedTimes(&turn) }
            return try misunderstood(&turn, prompt: text("ask_times", turn))
        }
        let name = turn.contactText("first_name") ?? ""
        var event: [String: JSON] = [
            "title": .string(config.lessonTitle.replacingOccurrences(of: "{name}", with: name)),
            "starts_at": .number(starts), "ends_at": .number(ends),
            "contact_id": .string(turn.contactID), "conversation_id": .string(turn.conversationID),
        ]
        if let location = config.lessonLocation { event["location"] = .string(location) }
        let booked = try host.call("calendar.create", JSON.object(event))
        var ics: String?
        if let id = booked["id"]?.stringValue { ics = try host.call("calendar.ics", ["id": id])["ics"]?.stringValue }

        try turn.setContact(["welcome_done": "true", "lesson_booked": "true"])
        try turn.setConversation(["bot_step": "menu", "pending_intent": .null, "offered_slots": .null, "misunderstood": .null])
        let when = describe(Date(millis: starts), turn)
        try turn.reply(text("booked", turn, ["when": when]))
        if let ics { try turn.reply(ics) }
        try notifier.notify(text("notify_booked", turn, ["when": when]), title: "Les geboekt: \(name)", turn: turn)
    }

    /// "dinsdag 3 maart 10:00" in the contact's language and the tenant's time zone.
    func describe(_ date: Date, _ turn: Turn) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: turn.language == "en" ? "en_GB" : "nl_NL")
        formatter.timeZone = config.timeZone
        formatter.dateFormat = "EEEE d MMMM HH:mm"
        return formatter.string(from: date)
    }
}

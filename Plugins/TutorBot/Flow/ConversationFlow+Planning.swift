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
        let newRequest = turn.conversationText("pending_intent") != "plan"
        try turn.setConversation(["pending_intent": "plan", "age_verified": "true"])
        if newRequest {
            try notifier.notify(text("notify_planning", turn), title: "Planningsverzoek: \(turn.contactText("first_name") ?? "")", turn: turn)
        }
        try ask(&turn, "ask_times", step: "ask_times")
    }

    /// Stores `preferred_times` and offers slots for them.
    func askedTimes(_ turn: inout Turn) throws {
        try turn.setConversation(["preferred_times": .string(turn.text)])
        try offerSlots(&turn, preferences: turn.text)
    }

    /// Offers the first slots that fit the preferences (or the nearest ones, saying so).
    func offerSlots(_ turn: inout Turn, preferences: String) throws {
        let contact = try host.contact(["id": turn.contactID])
        let answer = try slots.suggest(contact: contact, preferences: preferences, now: host.now, limit: config.slotsOffered)
        guard !answer.suggestion.slots.isEmpty else {
            try turn.setConversation(["bot_step": "menu", "pending_intent": .null])
            return try turn.reply(text("no_slots", turn))
        }
        let offered = answer.suggestion.slots.map { JSON.array([.number($0.start.millis), .number($0.end.millis)]) }
        try turn.setConversation(["bot_step": "pick_slot", "offered_slots": .string(try JSON.array(offered).serialized()), "misunderstood": .null])
        let list = answer.suggestion.slots.enumerated().map { "\($0.offset + 1). \(describe($0.element.start, turn))" }.joined(separator: "\n")
        try turn.reply(text(answer.suggestion.matchedPreferences ? "offer_slots" : "no_preferred_slots", turn, ["slots": list]))
    }

    /// Books the chosen slot once it is checked to be still free (otherwise says so and offers fresh slots);
    /// new preferences instead of a number start the search again.
    func pickedSlot(_ turn: inout Turn) throws {
        let offered = (try? JSON.parse(turn.conversationText("offered_slots") ?? "[]").arrayValue) ?? []
        guard !offered.isEmpty, let choice = Intents.choice(turn.text, count: offered.count), let slot = offered[choice - 1].arrayValue,
            let starts = slot.first?.doubleValue, let ends = slot.last?.doubleValue
        else {
            if !SlotPreferences(text: turn.text).isEmpty { return try askedTimes(&turn) }
            return try misunderstood(&turn, prompt: text("ask_times", turn))
        }
        let chosen = Slot(start: Date(millis: starts), end: Date(millis: ends))
        guard try slots.isStillFree(chosen, contact: host.contact(["id": turn.contactID]), now: host.now) else {
            try turn.reply(text("slot_taken", turn, ["when": describe(chosen.start, turn)]))
            return try offerSlots(&turn, preferences: turn.conversationText("preferred_times") ?? "")
        }
        let name = turn.contactText("first_name") ?? ""
        var event: [String: JSON] = [
            "title": .string(config.lessonTitle.replacingOccurrences(of: "{name}", with: name)),
            "description": .string(text("lesson_description", turn, [
                "subject": turn.contactText("subject") ?? "?", "level": turn.contactText("education_level") ?? "?",
                "year": turn.contactText("year") ?? "?", "format": turn.contactText("format_preference") ?? "?",
            ])),
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

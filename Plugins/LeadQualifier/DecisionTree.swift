import Foundation
import PluginAPI

/// Seed 002 §4's decision tree as a state machine. Its state lives in the conversation's attributes
/// (`lq_state`, `lq_misses`, `lq_slots`, `lq_event_id`), so it survives restarts:
/// welcome → q1 (Ads aktiv?) → q2 (Leads/Monat) → booking → booked, or disqualified / closed / handover.
extension LeadQualifierPlugin {
    /// One inbound message and where it belongs.
    struct Turn {
        var contactID: String
        var conversationID: String
        var channel: String
        var text: String
        var attributes: [String: JSON]
        var firstName: String

        var state: String { attributes["lq_state"]?.stringValue ?? "welcome" }
        var misses: Int { Int(attributes["lq_misses"]?.doubleValue ?? 0) }
    }

    func handleInbound(_ data: JSON) throws {
        guard let message = data["message"], let contactID = message["contact_id"]?.stringValue,
            let conversation = data["conversation"], let conversationID = conversation["id"]?.stringValue
        else { return }
        let receivedAt = Int64(message["created_at"]?.doubleValue ?? Double(nowMillis))
        try cancelFollowUps(contactID: contactID)
        try updateLead(contactID) { $0.firstInboundAt = $0.firstInboundAt ?? receivedAt }
        try sendToCRM("activity", ["contact_id": .string(contactID), "kind": "inbound_message", "conversation_id": .string(conversationID)])
        if conversation["owner"]?.stringValue == "human" { return }
        try take(Turn(
            contactID: contactID, conversationID: conversationID, channel: message["channel"]?.stringValue ?? config.channel,
            text: message["content"]?.stringValue ?? "", attributes: conversation["attributes"]?.objectValue ?? [:],
            firstName: Self.firstName(data["contact"])))
    }

    /// The name a lead is greeted with: the `first_name` attribute, else the first word of the contact's name.
    static func firstName(_ contact: JSON?) -> String {
        contact?["attributes"]?["first_name"]?.stringValue ?? contact?["name"]?.stringValue?.split(separator: " ").first.map(String.init) ?? ""
    }

    /// Answers one message of the lead: an opt-out, a handover, or the next step of the tree.
    func take(_ turn: Turn) throws {
        if Self.isOptOut(turn.text) {
            try optOut(turn)
        } else if let trigger = try handoverTrigger(turn) {
            try handover(turn, reason: trigger.reason, details: trigger.details)
        } else {
            try advance(turn)
        }
        // The reply goes out after the delay, within the reply hours: that is when the lead gets it.
        let respondedAt = replyTime()
        try updateLead(turn.contactID) { $0.firstResponseAt = $0.firstResponseAt ?? respondedAt }
    }

    private func advance(_ turn: Turn) throws {
        switch turn.state {
        case "welcome":
            switch AnswerParser.yesNo(turn.text) {
            case .yes: try ask(turn, "q1", state: "q1")
            case .no: try finish(turn, text: "declined", state: "closed")
            case .unclear: try unclear(turn, clarify: "welcome_clarify")
            }
        case "q1":
            switch AnswerParser.yesNo(turn.text) {
            case .yes:
                try saveAnswers(turn) { $0.adsRunning = "yes" }
                try ask(turn, "q2", state: "q2")
            case .no:
                try saveAnswers(turn) { $0.adsRunning = "no"; $0.qualified = "false"; $0.reason = "no_ads" }
                try updateLead(turn.contactID) { $0.qualified = false }
                let link = config.resourceLink.map { " Hier ein kostenloser Leitfaden für den Einstieg: \($0)" } ?? ""
                try finish(turn, text: "disqualify_no_ads", values: ["link": link], state: "disqualified")
            case .unclear: try unclear(turn, clarify: "q1_clarify")
            }
        case "q2":
            guard let leads = AnswerParser.monthlyLeads(turn.text) else { return try unclear(turn, clarify: "q2_clarify") }
            let qualified = leads >= config.qualifiedMinMonthlyLeads
            try saveAnswers(turn) {
                $0.monthlyLeads = leads
                $0.monthlyLeadsBucket = AnswerParser.bucket(leads)
                $0.qualified = qualified ? "true" : "false"
                $0.reason = qualified ? "ads_and_volume" : "low_volume"
            }
            try updateLead(turn.contactID) { $0.qualified = qualified }
            try sendToCRM("lead_upsert", ["contact_id": .string(turn.contactID), "status": .string(qualified ? "qualified" : "disqualified"),
                                         "monthly_leads_bucket": .string(AnswerParser.bucket(leads))])
            guard qualified else { return try finish(turn, text: "disqualify_low_volume", state: "disqualified") }
            try offerSlots(turn, intro: Texts.render(config.texts, "qualified"))
        case "booking":
            let slots = turn.attributes["lq_slots"]?.arrayValue?.compactMap(\.doubleValue).map { Int64($0) } ?? []
            guard let choice = AnswerParser.slotChoice(turn.text, count: slots.count) else { return try unclear(turn, clarify: "slot_clarify") }
            try book(turn, startsAt: slots[choice - 1])
        case "booked":
            let lower = turn.text.lowercased()
            if ["verschieben", "anderen termin", "umbuchen", "neuer termin"].contains(where: lower.contains) { return try offerSlots(turn) }
            if ["absagen", "stornieren", "canceln", "kann nicht"].contains(where: lower.contains) { return try cancelAppointment(turn) }
            if AnswerParser.isQuestion(turn.text) { try answerQuestion(turn) }
        default:
            if turn.text.lowercased().contains("termin"), turn.state == "qualified" { return try offerSlots(turn) }
            if AnswerParser.isQuestion(turn.text) { try answerQuestion(turn) }
        }
    }

    /// The question each waiting state asks, which a resumed conversation asks again.
    static let questions = ["welcome": "welcome_clarify", "q1": "q1", "q2": "q2"]

    /// Sends the question `key`, moves to `state` and starts the follow-up clock.
    func ask(_ turn: Turn, _ key: String, state: String) throws {
        try say(Texts.render(config.texts, key), to: turn.contactID, channel: turn.channel)
        try updateConversation(turn.conversationID, attributes: ["lq_state": .string(state), "lq_misses": 0])
        try scheduleFollowUps(contactID: turn.contactID, conversationID: turn.conversationID, firstName: turn.firstName, askedAt: replyTime())
    }

    private func finish(_ turn: Turn, text: String, values: [String: String] = [:], state: String) throws {
        try say(Texts.render(config.texts, text, values), to: turn.contactID, channel: turn.channel)
        try updateConversation(turn.conversationID, attributes: ["lq_state": .string(state), "lq_misses": 0])
    }

    /// An answer the bot did not understand: a question goes to the knowledge base; otherwise one
    /// clarifying question, and after more than `max_misunderstandings` in a row a handover.
    private func unclear(_ turn: Turn, clarify: String) throws {
        if AnswerParser.isQuestion(turn.text) { return try answerQuestion(turn) }
        let misses = turn.misses + 1
        if misses > config.maxMisunderstandings {
            return try handover(turn, reason: "misunderstandings", details: ["count": .number(Double(misses))])
        }
        try say(Texts.render(config.texts, clarify), to: turn.contactID, channel: turn.channel)
        try updateConversation(turn.conversationID, attributes: ["lq_misses": .number(Double(misses))])
        try scheduleFollowUps(contactID: turn.contactID, conversationID: turn.conversationID, firstName: turn.firstName, askedAt: replyTime())
    }

    private func saveAnswers(_ turn: Turn, _ change: (inout QualificationAnswers) -> Void) throws {
        var answers = try host.get(Collections.answers, turn.contactID, as: QualificationAnswers.self) ?? QualificationAnswers()
        answers.conversationID = turn.conversationID
        change(&answers)
        answers.updatedAt = nowMillis
        try host.put(Collections.answers, turn.contactID, answers)
    }

    /// A free-text question: the knowledge base answers, then the pending question is asked again;
    /// below the confidence threshold the bot does not guess and hands over.
    func answerQuestion(_ turn: Turn) throws {
        let assistant = Assistant(host: host, knowledge: knowledge, config: config)
        switch try assistant.answer(turn.text) {
        case .answered(let text, let sources, let confidence, let via):
            var reply = text + Texts.render(config.texts, "rag_suffix", ["source": sources.joined(separator: ", ")])
            if ["welcome", "q1", "q2"].contains(turn.state) { reply += "\n\n" + Texts.render(config.texts, turn.state == "welcome" ? "welcome_clarify" : turn.state) }
            try say(reply, to: turn.contactID, channel: turn.channel)
            try updateConversation(turn.conversationID, attributes: [
                "lq_last_answer": ["sources": .array(sources.map(JSON.string)), "confidence": .number(confidence), "via": .string(via)],
            ])
        case .unsure(let confidence):
            let reason = Self.isPriceOrContract(turn.text) ? "price_contract_unsure" : "low_confidence"
            try handover(turn, reason: reason, details: ["confidence": .number(confidence)])
        }
    }
}

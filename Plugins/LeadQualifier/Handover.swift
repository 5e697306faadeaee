import Foundation
import PluginAPI

/// Human handover (seed 002 §4): an explicit request, negative sentiment above the threshold, a
/// price or contract question the knowledge base cannot answer, or too many misunderstandings.
/// The conversation goes to `owner=human`, status `handover`; the bot stays silent until released.
extension LeadQualifierPlugin {
    struct Trigger {
        var reason: String
        var details: JSON
    }

    func handoverTrigger(_ turn: Turn) throws -> Trigger? {
        let words = GermanText.words(turn.text)
        let folded = words.joined(separator: " ")
        for keyword in config.handoverKeywords {
            let wanted = GermanText.words(keyword)
            let hit = wanted.count > 1
                ? folded.contains(wanted.joined(separator: " "))
                : words.contains { $0.hasPrefix(wanted.first ?? "\u{0}") || $0.hasSuffix(wanted.first ?? "\u{0}") }
            if hit { return Trigger(reason: "requested", details: ["keyword": .string(keyword)]) }
        }
        let score = Sentiment.score(turn.text)
        if score > 0 { try updateConversation(turn.conversationID, attributes: ["lq_sentiment": .number(score)]) }
        if score >= config.sentimentThreshold {
            return Trigger(reason: "negative_sentiment", details: ["score": .number(score), "threshold": .number(config.sentimentThreshold)])
        }
        return nil
    }

    func handover(_ turn: Turn, reason: String, details: JSON) throws {
        try say(Texts.render(config.texts, "handover"), to: turn.contactID, channel: turn.channel)
        try updateConversation(turn.conversationID, attributes: [
            "lq_state": "handover", "lq_resume_state": .string(turn.state), "lq_handover_reason": .string(reason), "lq_misses": 0,
        ], status: "handover", owner: "human")
        var auditDetails = details.objectValue ?? [:]
        auditDetails["reason"] = .string(reason)
        auditDetails["conversation_id"] = .string(turn.conversationID)
        try audit("handover", subject: turn.contactID, details: .object(auditDetails))
        try cancelFollowUps(contactID: turn.contactID)
        try sendToCRM("handover", [
            "contact_id": .string(turn.contactID), "conversation_id": .string(turn.conversationID), "reason": .string(reason),
            "last_message": .string(turn.text), "details": details,
        ])
    }

    /// `POST /api/leadqualifier/conversations/{id}/release`: gives the conversation back to the bot, which resumes.
    func release(conversationID: String) throws -> HTTPResponse {
        let conversation = try service("conversations.get", ["id": .string(conversationID)])
        try updateConversation(conversationID, attributes: [:], status: "open", owner: "bot")
        try audit("handover_released", subject: conversation["contact_id"]?.stringValue ?? conversationID, details: ["conversation_id": .string(conversationID)])
        let state = try resume(conversationID: conversationID)
        return .ok(["conversation_id": .string(conversationID), "owner": "bot", "lq_state": .string(state)])
    }

    /// Takes up a conversation handed back to the bot (from this plugin's route, the console or anyone's
    /// `conversations.update`): in the state the handover left, with the misunderstandings forgotten. When the lead's
    /// last message went unanswered, it is answered now; when someone answered it, the bot asks its pending question
    /// again, so the lead knows where they were. Returns the state it resumed in.
    @discardableResult
    func resume(conversationID: String) throws -> String {
        let conversation = try service("conversations.get", ["id": .string(conversationID)])
        let attributes = conversation["attributes"]?.objectValue ?? [:]
        guard conversation["owner"]?.stringValue == "bot", let contactID = conversation["contact_id"]?.stringValue else {
            return attributes["lq_state"]?.stringValue ?? "welcome"
        }
        let current = attributes["lq_state"]?.stringValue ?? "welcome"
        let state = current == "handover" ? attributes["lq_resume_state"]?.stringValue ?? "welcome" : current
        try updateConversation(conversationID, attributes: ["lq_state": .string(state), "lq_misses": 0])
        var resumed = attributes
        resumed["lq_state"] = .string(state)
        resumed["lq_misses"] = 0
        let recent = try service("messages.list", ["conversation_id": .string(conversationID), "newest_first": true, "limit": 20])
        let last = recent["data"]?.arrayValue?.first { ["inbound", "outbound"].contains($0["direction"]?.stringValue ?? "") }
        let contact = try host.contact(["id": contactID])
        let turn = Turn(
            contactID: contactID, conversationID: conversationID, channel: conversation["channel"]?.stringValue ?? config.channel,
            text: last?["content"]?.stringValue ?? "", attributes: resumed, firstName: Self.firstName(contact))
        if last?["direction"]?.stringValue == "inbound" {
            try take(turn)
        } else if let question = Self.questions[state] {
            try ask(turn, question, state: state)
        }
        return state
    }

    static func isPriceOrContract(_ text: String) -> Bool {
        let stems = ["preis", "kost", "euro", "vertrag", "laufzeit", "kundig", "rabatt", "zahl", "rechnung", "agb", "haftung"]
        return GermanText.words(text).contains { word in stems.contains { word.hasPrefix($0) } } || text.contains("€")
    }

    static func isOptOut(_ text: String) -> Bool {
        let words = GermanText.words(text)
        return words == ["stop"] || words == ["stopp"] || words.contains("abmelden") || words.contains("abbestellen")
    }

    /// "STOP": consent revoked (the host stops the bot's waiting messages with it), marketing cancelled, then the one
    /// confirmation the policy still lets through.
    func optOut(_ turn: Turn) throws {
        try revoke(contactID: turn.contactID, source: "whatsapp_stop")
        try say(Texts.render(config.texts, "optout"), to: turn.contactID, channel: turn.channel, optOutConfirmation: true)
        try updateConversation(turn.conversationID, attributes: ["lq_state": "closed"])
    }
}

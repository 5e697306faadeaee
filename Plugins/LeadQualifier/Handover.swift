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

    /// Gives the conversation back to the bot, in the state it left.
    func release(conversationID: String) throws -> HTTPResponse {
        let conversation = try service("conversations.get", ["id": .string(conversationID)])
        let resume = conversation["attributes"]?["lq_resume_state"]?.stringValue ?? "welcome"
        try updateConversation(conversationID, attributes: ["lq_state": .string(resume), "lq_misses": 0], status: "open", owner: "bot")
        try audit("handover_released", subject: conversation["contact_id"]?.stringValue ?? conversationID, details: ["conversation_id": .string(conversationID)])
        return .ok(["conversation_id": .string(conversationID), "owner": "bot", "lq_state": .string(resume)])
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

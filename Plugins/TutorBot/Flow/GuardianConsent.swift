import Foundation
import PluginAPI

/// Flow 2's consent: a message to the guardian's own number, and their JA/YES (or NEE/NO) reply from that number.
/// Open requests live in the record store under `consent_requests/<guardian phone>`.
struct GuardianConsent {
    static let collection = "consent_requests"

    struct Request: Codable {
        var studentContactID: String
        var channel: String
        var language: String
    }

    let host: PluginAPI.Host
    let config: TutorBotConfig

    /// Creates (or finds) the guardian's contact and sends them the consent question.
    func request(_ turn: Turn, guardianName: String, guardianPhone: String, message: String) throws {
        let guardian = try host.call("contacts.create", ["phone": guardianPhone, "name": guardianName])
        guard let guardianID = guardian["id"]?.stringValue else { throw PluginError(.error, code: "no_contact", message: "contacts.create returned no id") }
        try host.put(Self.collection, guardianPhone, Request(studentContactID: turn.contactID, channel: turn.channel, language: turn.language))
        try host.sendMessage(["contact_id": .string(guardianID), "channel": .string(turn.channel), "type": "session_text", "text": .string(message)])
    }

    /// Handles a message from a guardian with an open request; false when the sender is not one.
    func handleReply(_ turn: Turn) throws -> Bool {
        guard let phone = turn.phone, let request = try host.get(Self.collection, phone, as: Request.self) else { return false }
        let texts = config.texts
        guard let consent = Intents.yesNo(turn.text) else {
            try turn.reply(texts.render("guardian_reask", request.language))
            return true
        }
        var attributes: [String: JSON] = ["guardian_consent": .string(consent ? "true" : "false")]
        if consent { attributes["guardian_verified_at"] = .string(Turn.timestamp(host.now)) }
        try host.updateContact(["id": .string(request.studentContactID), "attributes": .object(attributes)])
        try host.call("audit.record", JSON.object([
            "action": "guardian_consent", "subject": .string(request.studentContactID),
            "details": ["consent": .bool(consent), "guardian_phone": .string(phone)],
        ]))
        try host.delete(Self.collection, phone)
        try turn.reply(texts.render(consent ? "guardian_thanks" : "guardian_declined", request.language))
        if consent {
            let text = texts.render("consent_given", request.language, ["tutor": config.tutorName])
            try host.sendMessage(["contact_id": .string(request.studentContactID), "channel": .string(request.channel), "type": "session_text", "text": .string(text)])
        }
        return true
    }
}

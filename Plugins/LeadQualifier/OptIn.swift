import Foundation
import PluginAPI

/// The start trigger (seed 002 §4): a landing-page or form webhook, signed with HMAC-SHA256 of the raw
/// body under `optin_secret` in `X-Signature: sha256=<hex>`. It records consent on the contact and in
/// the audit log, and schedules `lead_welcome_v1` after the configured delay (a template: no window yet).
extension LeadQualifierPlugin {
    func optIn(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let secret = config.optinSecret else {
            return HTTPResponse(status: 503, json: ["error": "optin_secret is not configured"])
        }
        guard HMAC.verify(header: request.headers["x-signature"], body: request.body, secret: secret) else {
            return HTTPResponse(status: 401, json: ["error": "invalid signature"])
        }
        let body = try Self.body(request)
        guard let phone = body["phone"]?.stringValue, let source = body["consent_source"]?.stringValue,
            let version = body["consent_text_version"]?.stringValue
        else { throw PluginError.badArgument("phone, consent_source and consent_text_version are required") }
        let name = body["name"]?.stringValue ?? ""
        let timestamp = body["consent_timestamp"]?.stringValue ?? ISO8601DateFormatter().string(from: host.now)
        let consent: JSON = [
            "consent_status": "granted", "consent_source": .string(source), "consent_text_version": .string(version),
            "consent_timestamp": .string(timestamp), "first_name": .string(name.split(separator: " ").first.map(String.init) ?? name),
            "language": "de",
        ]
        let contact = try service("contacts.create", ["name": .string(name), "phone": .string(phone), "attributes": consent])
        guard let contactID = contact["id"]?.stringValue else { throw PluginError(.error, code: "contact_failed", message: "no contact id") }
        try host.updateContact(["id": .string(contactID), "attributes": consent])
        try audit("consent_granted", subject: contactID, details: ["source": .string(source), "text_version": .string(version), "timestamp": .string(timestamp)])
        let now = nowMillis
        try updateLead(contactID) { $0.optinAt = now; $0.optedOutAt = nil }
        let welcomeAt = now + Int64(config.welcomeDelayMinutes) * 60_000
        try scheduleTemplate("welcome", template: "lead_welcome_v1", contactID: contactID, conversationID: nil, runAt: welcomeAt,
                             variables: ["1": consent["first_name"] ?? ""])
        try sendToCRM("lead_upsert", ["contact_id": .string(contactID), "name": .string(name), "phone": .string(phone), "status": "opted_in"])
        return .ok(["contact_id": .string(contactID), "welcome_at": .number(Double(welcomeAt))] as JSON, status: 202)
    }

    /// After the welcome went out: the conversation now exists and waits for the lead's "ja".
    func welcomeSent(contactID: String) throws {
        let conversation = try conversationID(of: contactID)
        if let conversation { try updateConversation(conversation, attributes: ["lq_state": "welcome", "lq_misses": 0]) }
        let now = nowMillis
        try updateLead(contactID) { $0.welcomeSentAt = $0.welcomeSentAt ?? now }
        let firstName = try host.contact(["id": contactID])["attributes"]?["first_name"]?.stringValue ?? ""
        try scheduleFollowUps(contactID: contactID, conversationID: conversation, firstName: firstName, askedAt: now)
    }
}

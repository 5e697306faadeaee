import Hummingbird
import SwitchboardJSON

/// `POST /webhooks/chatwoot?token=…`: a Chatwoot agent bot's (or account webhook's) events. Chatwoot signs
/// nothing, so the `token` query parameter must equal the channel's `webhook_token`. `message_created`
/// stores incoming public messages, with the Chatwoot conversation as the thread replies go back to;
/// outgoing messages and private notes are the bot's and the agents' own, and ignoring them prevents
/// loops. `conversation_created` opens the contact and conversation. On the platform's shared URL the
/// payload's account id picks the tenant.
struct ChatwootWebhook {
    let support: WebhookSupport

    func register(on router: Router<AppRequestContext>) {
        router.post("/webhooks/chatwoot") { request, context -> Response in
            let body = try await WebhookSupport.rawBody(request, context)
            let candidates = support.candidates(context, kind: "chatwoot")
            guard !candidates.isEmpty else { throw Problem(status: .notFound, title: "Not found", detail: "No tenant here receives Chatwoot events.") }
            let token = Array((request.uri.queryParameters.get("token") ?? "").utf8)
            let authorized = try candidates.filter { tenant in
                let expected = try WebhookSupport.secret(tenant.manifest.channels["chatwoot"]!, "webhook_token")
                return Crypto.constantTimeEqual(Array(expected.utf8), token)
            }
            guard !authorized.isEmpty else { throw support.rejectSignature("chatwoot", tenants: candidates, context: context) }
            guard let payload = try? JSON.parse(bytes: body), let event = payload["event"]?.stringValue else {
                throw Problem(status: .badRequest, title: "Bad request", detail: "Not a Chatwoot event.")
            }
            let account = Self.accountID(payload)
            guard let tenant = authorized.first(where: { account == nil || $0.manifest.channels["chatwoot"]?["account_id"] == account }) else {
                context.logger.warning("Chatwoot event for an unknown account", metadata: ["account_id": "\(account ?? "")"])
                return try json(["status": "ignored"])
            }
            switch event {
            case "message_created":
                guard let message = Self.message(payload) else { return try json(["status": "ignored"]) }
                return try json(try await support.commit([message], [], tenant: tenant)[0])
            case "conversation_created":
                guard let opening = Self.opening(payload) else { return try json(["status": "ignored"]) }
                return try json(try await support.open(opening, tenant: tenant))
            default:
                return try json(["status": "ignored"])
            }
        }
    }

    /// The Chatwoot account an event belongs to, where the payload names it.
    static func accountID(_ payload: JSON) -> String? {
        (payload["account"]?["id"] ?? payload["account_id"] ?? payload["conversation"]?["account_id"]).map(ConditionEvaluator.text)
    }

    /// An incoming, public message from a contact; nil for anything else.
    static func message(_ payload: JSON) -> InboundMessage? {
        let type = payload["message_type"]
        guard type == "incoming" || type == 0, payload["private"]?.boolValue != true,
            let id = payload["id"].map(ConditionEvaluator.text), !id.isEmpty,
            let conversation = payload["conversation"]?["id"].map(ConditionEvaluator.text), !conversation.isEmpty
        else { return nil }
        let sender = payload["sender"] ?? payload["conversation"]?["meta"]?["sender"] ?? .null
        guard sender["type"]?.stringValue ?? "contact" == "contact" else { return nil }
        let attachments = payload["attachments"]?.arrayValue ?? []
        var details: [String: JSON] = ["content_type": payload["content_type"] ?? "text"]
        if !attachments.isEmpty { details["attachments"] = .array(attachments) }
        var message = contactMessage(sender, thread: conversation)
        message.providerMessageID = id
        message.type = attachments.isEmpty ? "text" : "media"
        message.text = payload["content"]?.stringValue
        message.details = .object(details)
        return message
    }

    /// The contact and thread of a new Chatwoot conversation (the payload is the conversation itself).
    static func opening(_ payload: JSON) -> InboundMessage? {
        guard let conversation = payload["id"].map(ConditionEvaluator.text), !conversation.isEmpty,
            let sender = payload["meta"]?["sender"]
        else { return nil }
        return contactMessage(sender, thread: conversation)
    }

    /// An empty message from a Chatwoot contact in a Chatwoot conversation: phone, email, name and contact id.
    private static func contactMessage(_ sender: JSON, thread: String) -> InboundMessage {
        let email = sender["email"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        return InboundMessage(
            channel: "chatwoot", providerMessageID: "", phone: sender["phone_number"]?.stringValue.flatMap(PhoneNumber.e164),
            email: email, name: sender["name"]?.stringValue, text: nil, threadKey: thread,
            providerContact: sender["id"].map { ProviderContact(attribute: ChatwootSync.contactAttribute, id: ConditionEvaluator.text($0)) })
    }
}

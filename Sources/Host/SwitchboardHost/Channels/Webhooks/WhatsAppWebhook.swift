import Foundation
import Hummingbird
import SwitchboardJSON

/// The WhatsApp Cloud API webhook: `GET /webhooks/whatsapp` answers Meta's verification, and
/// `POST` checks `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the app secret) before
/// parsing messages and status updates. On the platform's shared URL the tenant is found by the
/// payload's `phone_number_id`.
struct WhatsAppWebhook {
    let support: WebhookSupport

    func register(on router: Router<AppRequestContext>) {
        router.get("/webhooks/whatsapp") { request, context -> Response in
            let query = request.uri.queryParameters
            guard query.get("hub.mode") == "subscribe", let token = query.get("hub.verify_token"),
                let challenge = query.get("hub.challenge")
            else { throw Problem(status: .forbidden, title: "Forbidden", detail: "Not a subscription verification request.") }
            let matches = support.candidates(context, kind: "whatsapp").contains { tenant in
                guard let expected = try? tenant.manifest.channels["whatsapp"]?.secret("verify_token") else { return false }
                return Crypto.constantTimeEqual(Array(expected.utf8), Array(token.utf8))
            }
            guard matches else { throw Problem(status: .forbidden, title: "Forbidden", detail: "The verify token does not match.") }
            return WebhookSupport.text(challenge)
        }

        router.post("/webhooks/whatsapp") { request, context -> Response in
            let body = try await WebhookSupport.rawBody(request, context)
            let candidates = support.candidates(context, kind: "whatsapp")
            guard !candidates.isEmpty else { throw Problem(status: .notFound, title: "Not found", detail: "No tenant here receives WhatsApp.") }
            let signed = try support.tenantsSigningSHA256(
                body, header: request.headers[.xHubSignature256], kind: "whatsapp", secretKey: "app_secret", candidates: candidates,
                context: context)
            guard let payload = try? JSON.parse(bytes: body), payload["object"]?.stringValue == "whatsapp_business_account" else {
                throw Problem(status: .badRequest, title: "Bad request", detail: "Not a WhatsApp Business Account notification.")
            }
            for change in Self.changes(payload) {
                let phoneNumberID = change["metadata"]?["phone_number_id"].map(ConditionEvaluator.text) ?? ""
                guard let tenant = signed.first(where: { $0.manifest.channels["whatsapp"]?["phone_number_id"] == phoneNumberID }) else {
                    context.logger.warning("WhatsApp notification for an unknown phone number id", metadata: ["phone_number_id": "\(phoneNumberID)"])
                    continue
                }
                _ = try await support.commit(Self.messages(change), Self.statuses(change), tenant: tenant)
            }
            return WebhookSupport.text("EVENT_RECEIVED")
        }
    }

    /// Every `entry[].changes[].value` of field `messages`.
    static func changes(_ payload: JSON) -> [JSON] {
        (payload["entry"]?.arrayValue ?? []).flatMap { entry in
            (entry["changes"]?.arrayValue ?? []).filter { $0["field"]?.stringValue == "messages" }.compactMap { $0["value"] }
        }
    }

    static func messages(_ value: JSON) -> [InboundMessage] {
        var names: [String: String] = [:]
        for contact in value["contacts"]?.arrayValue ?? [] {
            if let id = contact["wa_id"]?.stringValue { names[id] = contact["profile"]?["name"]?.stringValue }
        }
        return (value["messages"]?.arrayValue ?? []).compactMap { message in
            guard let id = message["id"]?.stringValue, let from = message["from"]?.stringValue else { return nil }
            let type = message["type"]?.stringValue ?? "unknown"
            var text: String?
            var details: JSON = .object([:])
            switch type {
            case "text":
                text = message["text"]?["body"]?.stringValue
            case "interactive":
                let interactive = message["interactive"] ?? .null
                let reply = interactive["button_reply"] ?? interactive["list_reply"] ?? .null
                text = reply["title"]?.stringValue
                details = ["reply_type": interactive["type"] ?? .null, "id": reply["id"] ?? .null, "title": reply["title"] ?? .null]
            case "button":
                text = message["button"]?["text"]?.stringValue
                details = ["payload": message["button"]?["payload"] ?? .null]
            case "image", "video", "document", "audio", "sticker":
                let media = message[type] ?? .null
                text = media["caption"]?.stringValue
                details = ["media": media]
            default:
                details = message[type] ?? .null
            }
            if let context = message["context"] { details = details.merging(["context": context]) }
            return InboundMessage(
                channel: "whatsapp", providerMessageID: id, phone: PhoneNumber.e164(from), name: names[from], type: type, text: text,
                details: details, sentAt: Self.millis(message["timestamp"]))
        }
    }

    /// Epoch milliseconds of a Cloud API `timestamp`: a string of Unix seconds (shared/research/protocols.md, after
    /// Meta's webhook reference).
    static func millis(_ timestamp: JSON?) -> Int64? {
        guard let seconds = timestamp.map(ConditionEvaluator.text).flatMap(Int64.init), seconds > 0, seconds < 1 << 40 else { return nil }
        return seconds * 1000
    }

    static func statuses(_ value: JSON) -> [DeliveryStatus] {
        (value["statuses"]?.arrayValue ?? []).compactMap { status in
            guard let id = status["id"]?.stringValue, let state = status["status"]?.stringValue else { return nil }
            let error = status["errors"]?.arrayValue?.first
            return DeliveryStatus(
                channel: "whatsapp", providerMessageID: id, status: state == "played" ? "read" : state,
                errorCode: error?["code"].map(ConditionEvaluator.text), errorMessage: error?["title"]?.stringValue ?? error?["message"]?.stringValue,
                timestamp: millis(status["timestamp"]))
        }
    }
}

extension JSON {
    /// An object with `other`'s members added (other wins).
    func merging(_ other: [String: JSON]) -> JSON {
        var members = objectValue ?? [:]
        for (key, value) in other { members[key] = value }
        return .object(members)
    }
}

import Foundation
import Hummingbird
import SwitchboardJSON

/// `POST /webhooks/twilio`: Twilio's form-encoded messages (SMS and WhatsApp) and status
/// callbacks, with `X-Twilio-Signature` checked: base64(HMAC-SHA1(auth token, URL + every
/// parameter name and value, sorted by name)). The URL is the channel's `webhook_url`, or
/// `https://<Host><path>` when none is configured.
struct TwilioWebhook {
    let support: WebhookSupport

    static let emptyTwiML = #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#

    func register(on router: Router<AppRequestContext>) {
        router.post("/webhooks/twilio") { request, context -> Response in
            let body = try await WebhookSupport.rawBody(request, context)
            let params = FormEncoding.decode(String(decoding: body, as: UTF8.self))
            let accountSID = params.first { $0.0 == "AccountSid" }?.1
            let candidates = support.candidates(context, kind: "twilio").filter {
                context.tenant != nil || $0.manifest.channels["twilio"]?["account_sid"] == accountSID
            }
            guard !candidates.isEmpty else { throw Problem(status: .notFound, title: "Not found", detail: "No tenant here receives Twilio messages.") }
            let signature = request.headers[.xTwilioSignature] ?? ""
            let host = request.headers[.host] ?? request.head.authority ?? ""
            let fallbackURL = "https://\(host)\(request.uri.description)"
            let signed = try candidates.filter { tenant in
                let config = tenant.manifest.channels["twilio"]!
                let token = try WebhookSupport.secret(config, "auth_token")
                let url = config["webhook_url"] ?? fallbackURL
                return Self.signatureCandidates(url: url, params: params, token: token).contains {
                    Crypto.constantTimeEqual(Array($0.utf8), Array(signature.utf8))
                }
            }
            guard let tenant = signed.first else { throw support.rejectSignature("twilio", tenants: candidates, context: context) }
            let values = Dictionary(params, uniquingKeysWith: { first, _ in first })
            if let status = values["MessageStatus"], values["Body"] == nil {
                if let receipt = Self.receipt(values, status: status) { _ = try await support.commit([], [receipt], tenant: tenant) }
            } else if let message = Self.message(values) {
                _ = try await support.commit([message], [], tenant: tenant)
            }
            return WebhookSupport.text(Self.emptyTwiML, contentType: "text/xml")
        }
    }

    /// The signature for the URL as given, and with the default port added or removed (as Twilio's own validator accepts).
    static func signatureCandidates(url: String, params: [(String, String)], token: String) -> [String] {
        var urls = [url]
        if var components = URLComponents(string: url) {
            if components.port == nil {
                components.port = components.scheme == "https" ? 443 : 80
                if let withPort = components.string { urls.append(withPort) }
            } else {
                components.port = nil
                if let withoutPort = components.string { urls.append(withoutPort) }
            }
        }
        return urls.map { signature(url: $0, params: params, token: token) }
    }

    /// Twilio's signature over a URL and form parameters.
    static func signature(url: String, params: [(String, String)], token: String) -> String {
        let data = url + params.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { $0.0 + $0.1 }.joined()
        return Data(Crypto.hmacSHA1(key: Array(token.utf8), data: Array(data.utf8))).base64EncodedString()
    }

    /// The most media Twilio attaches to one message.
    static let maxMedia = 10

    static func message(_ values: [String: String]) -> InboundMessage? {
        guard let sid = values["MessageSid"] ?? values["SmsSid"], let from = values["From"] else { return nil }
        let whatsapp = from.hasPrefix("whatsapp:")
        var details: [String: JSON] = [:]
        // Twilio sends at most ten media per message; a larger count must not size the list.
        let mediaCount = min(Int(values["NumMedia"] ?? "0") ?? 0, maxMedia)
        if mediaCount > 0 {
            details["media"] = .array((0..<mediaCount).map { index in
                ["url": .string(values["MediaUrl\(index)"] ?? ""), "content_type": .string(values["MediaContentType\(index)"] ?? "")]
            })
        }
        if let payload = values["ButtonPayload"] { details["payload"] = .string(payload) }
        let type = values["ButtonPayload"] != nil ? "button" : (mediaCount > 0 ? "media" : "text")
        return InboundMessage(
            channel: whatsapp ? "whatsapp" : "sms", providerMessageID: sid, phone: PhoneNumber.e164(from),
            name: values["ProfileName"], type: type, text: values["Body"] ?? values["ButtonText"], details: .object(details))
    }

    static func receipt(_ values: [String: String], status: String) -> DeliveryStatus? {
        guard let sid = values["MessageSid"] ?? values["SmsSid"] else { return nil }
        let mapped: String? =
            switch status {
            case "sent": "sent"
            case "delivered": "delivered"
            case "read": "read"
            case "failed", "undelivered": "failed"
            default: nil
            }
        guard let mapped else { return nil }
        let channel = (values["To"] ?? "").hasPrefix("whatsapp:") ? "whatsapp" : "sms"
        return DeliveryStatus(channel: channel, providerMessageID: sid, status: mapped, errorCode: values["ErrorCode"], errorMessage: values["ErrorMessage"])
    }
}

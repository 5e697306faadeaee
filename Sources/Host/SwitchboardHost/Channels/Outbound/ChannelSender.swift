import Foundation
import SwitchboardJSON

/// What a provider needs to send one stored message.
public struct OutboundEnvelope: Sendable {
    public var messageID: String
    /// E.164 phone number or email address.
    public var to: String
    public var type: String
    public var text: String?
    public var template: MessageTemplate?
    public var variables: [String: String]
    /// A WhatsApp interactive object (buttons or list), passed through.
    public var interactive: JSON?
    /// The provider's conversation or thread id, where replies must thread (Chatwoot, email).
    public var threadKey: String?
    public var language: String
    /// The provider's handle of the contact's last message in this conversation (its `reply_id`), for
    /// providers that answer a message rather than a thread (Graph).
    public var inReplyTo: String?
    /// Files sent with an email (SMTP and Graph); other channels ignore them.
    public var attachments: [Outbound.Attachment] = []

    /// The text to send: the message text, or the template rendered with its variables.
    public var renderedText: String {
        text ?? template?.render(variables) ?? ""
    }

    /// An email's subject: the template's, else the `subject` variable.
    public var subject: String? {
        template?.subject.map { MessageTemplate.fill($0, variables) } ?? variables["subject"]
    }

    /// An email's HTML body, when the template has one.
    public var html: String? {
        template?.htmlBody.map { MessageTemplate.fill($0, variables) }
    }
}

/// Sends a message through one provider's API and returns the provider's message id. The call is awaited on the
/// host's curl thread: a slow provider holds no thread.
public protocol ChannelSender: Sendable {
    func deliver(_ envelope: OutboundEnvelope, config: ChannelConfig, http: HTTPClient) async throws -> String
}

/// A provider's refusal: permanent ones fail the message, transient ones are retried.
public enum DeliveryError: Error, CustomStringConvertible {
    case permanent(code: String, message: String)
    /// `retryAfterSeconds`: the provider's `Retry-After`, the earliest moment worth another attempt.
    case transient(String, retryAfterSeconds: Int? = nil)

    public var description: String {
        switch self {
        case .permanent(let code, let message): "provider refused (\(code)): \(message)"
        case .transient(let message, _): "provider unavailable: \(message)"
        }
    }

    /// The provider's `Retry-After` in milliseconds, if it gave one.
    var retryAfterMillis: Int64? {
        if case .transient(_, let seconds?) = self { return Int64(seconds) * 1000 }
        return nil
    }
}

extension HTTPClient {
    /// Sends a provider call, turning timeouts, connection failures, 429 and 5xx into transient errors
    /// (carrying the provider's `Retry-After`).
    func providerCall(_ request: Request) async throws -> Response {
        let response: Response
        do {
            response = try await send(request)
        } catch let error as TransportError {
            throw DeliveryError.transient(error.description)
        }
        if response.status == 429 || response.status >= 500 {
            throw DeliveryError.transient(
                "HTTP \(response.status) from \(request.url)", retryAfterSeconds: response.headers["retry-after"].flatMap { Self.retryAfterSeconds($0) })
        }
        return response
    }
}

extension HTTPClient {
    /// A `Retry-After` value in seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
    static func retryAfterSeconds(_ value: String, now: Date = Date()) -> Int? {
        if let seconds = Int(value.trimmingCharacters(in: .whitespaces)) { return max(seconds, 0) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(Int($0.timeIntervalSince(now).rounded(.up)), 0) }
    }
}

/// The sandbox delivers by storing: the message is sent the moment it is stored.
struct SandboxSender: ChannelSender {
    func deliver(_ envelope: OutboundEnvelope, config: ChannelConfig, http: HTTPClient) async throws -> String {
        Self.providerID(envelope.messageID)
    }

    /// The "provider" id of a sandbox message.
    static func providerID(_ messageID: String) -> String { "sandbox-\(messageID)" }
}

/// Picks the sender for a conversation's medium from the tenant's enabled channels. Where two channels
/// serve a medium, the first configured wins: WhatsApp Cloud API before Twilio; Twilio before the generic
/// SMS gateway; Microsoft Graph (outlook) before SMTP.
enum ChannelRouter {
    static func sender(for medium: String, tenant: Tenant) throws -> (any ChannelSender, ChannelConfig) {
        let channels = tenant.manifest.channels
        switch medium {
        case "sandbox":
            if let config = channels["sandbox"] { return (SandboxSender(), config) }
        case "whatsapp":
            if let config = channels["whatsapp"] { return (WhatsAppSender(), config) }
            if let config = channels["twilio"] { return (TwilioSender(medium: "whatsapp"), config) }
        case "sms":
            if let config = channels["twilio"] { return (TwilioSender(medium: "sms"), config) }
            if let config = channels["sms"], config["api_url"] != nil { return (SMSGatewaySender(), config) }
        case "email":
            if let config = channels["outlook"] { return (GraphMailSender(), config) }
            if let config = channels["smtp"] { return (SMTPSender(), config) }
        case "chatwoot":
            if let config = channels["chatwoot"] { return (ChatwootSender(), config) }
        default:
            break
        }
        throw ChannelError.notEnabled(medium)
    }

    /// The contact's address on a medium: the email address for email, else the phone number (or email).
    static func address(of contact: Contact, on medium: String) -> String? {
        medium == "email" ? contact.email : contact.phone ?? contact.email
    }

    /// Whether the tenant can send on a medium.
    static func canSend(_ medium: String, tenant: Tenant) -> Bool {
        (try? sender(for: medium, tenant: tenant)) != nil
    }
}

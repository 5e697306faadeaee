import SwitchboardJSON

/// A message from any channel, normalised by its webhook adapter. Plugins only ever see this shape.
public struct InboundMessage: Sendable {
    /// The medium: sandbox, whatsapp, sms, email or chatwoot.
    public var channel: String
    /// The provider's id of the message, unique per tenant and channel.
    public var providerMessageID: String
    /// The sender's E.164 phone number or email address.
    public var phone: String?
    public var email: String?
    public var name: String?
    /// text, interactive, button, media, location, reaction, email, …
    public var type: String
    public var text: String?
    /// Type-specific detail: the chosen button or list row, media metadata, an email's subject, ….
    /// `reply_id` is the provider's handle for answering this very message (a Graph message id).
    public var details: JSON
    /// Groups messages into one conversation where the provider threads them (email conversationId, Chatwoot conversation id).
    public var threadKey: String?
    /// The provider's own id of the sender, kept as a contact attribute: it finds the contact when the
    /// message has no phone or email, and lets the host write back to the provider's contact.
    public var providerContact: ProviderContact?
    /// When the provider says the contact sent it (epoch ms): the 24-hour service window opens then, not when the
    /// webhook arrived, and messages of one webhook are committed in this order.
    public var sentAt: Int64?

    public init(
        channel: String, providerMessageID: String, phone: String? = nil, email: String? = nil, name: String? = nil,
        type: String = "text", text: String?, details: JSON = .object([:]), threadKey: String? = nil,
        providerContact: ProviderContact? = nil, sentAt: Int64? = nil
    ) {
        self.channel = channel
        self.providerMessageID = providerMessageID
        self.phone = phone
        self.email = email
        self.name = name
        self.type = type
        self.text = text
        self.details = details
        self.threadKey = threadKey
        self.providerContact = providerContact
        self.sentAt = sentAt
    }

    /// The messages of one webhook in the order their sender sent them. Timestamps are whole seconds at most
    /// providers, so messages of the same second keep the order the provider listed them in; without a timestamp on
    /// every message, the listed order is all there is.
    static func inProviderOrder(_ messages: [(offset: Int, element: InboundMessage)]) -> [(offset: Int, element: InboundMessage)] {
        guard messages.allSatisfy({ $0.element.sentAt != nil }) else { return messages }
        return messages.sorted { ($0.element.sentAt!, $0.offset) < ($1.element.sentAt!, $1.offset) }
    }
}

/// A contact's id at a provider, stored under `attribute` in the contact's attributes (`chatwoot_contact_id`).
public struct ProviderContact: Sendable {
    public var attribute: String
    public var id: String
}

/// A delivery receipt for a message the tenant sent.
public struct DeliveryStatus: Sendable {
    public var channel: String
    public var providerMessageID: String
    /// sent, delivered, read or failed.
    public var status: String
    public var errorCode: String?
    public var errorMessage: String?
    /// When the provider says the status changed (epoch ms); receipts of one webhook are applied in this order.
    public var timestamp: Int64? = nil

    /// How far along a status is; a receipt never moves a message backwards (read arrives before delivered at times).
    static let rank: [String: Int] = ["queued": 0, "scheduled": 0, "sent": 1, "delivered": 2, "failed": 3, "read": 4]
}

/// Normalises phone numbers from providers to E.164: WhatsApp sends digits, Twilio `whatsapp:+…`.
enum PhoneNumber {
    static func e164(_ raw: String) -> String? {
        var text = raw
        for prefix in ["whatsapp:", "sms:", "tel:"] where text.hasPrefix(prefix) { text = String(text.dropFirst(prefix.count)) }
        let digits = text.filter(\.isNumber)
        guard (7...15).contains(digits.count), digits.first != "0" else { return nil }
        return "+" + digits
    }
}

import SwitchboardJSON

/// One tenant's configuration, read from a YAML manifest in `tenants/` or onboarded through the admin API.
public struct TenantManifest: Sendable, Encodable {
    public var slug: String
    public var name: String
    public var domains: [String]
    public var locale: String
    public var timezone: String
    public var businessHours: [String: [String]]
    public var branding: Branding
    public var plugins: [PluginReference]
    public var roles: [String: [String]]
    public var egress: [String]
    public var secrets: [String: String]
    /// Typed custom attributes: `contact` and `conversation` map names to text, number, boolean, date or list.
    public var attributes: AttributeSchema
    /// Automation rules shipped with the tenant (ids `manifest:<name>`).
    public var automationRules: [AutomationRule]
    /// The channels the tenant receives and sends on, by kind (sandbox, whatsapp, twilio, …).
    public var channels: [String: ChannelConfig]
    /// Quiet hours and business-hours rules for outbound messages.
    public var messaging: MessagingSettings
    /// The optional Google Calendar (`calendar.google`) whose busy time and bookings join the tenant calendar's.
    public var googleCalendar: ChannelConfig?
    /// The YAML text the manifest was read from.
    public var source: String

    public struct Branding: Sendable, Codable {
        public var name: String
        public var logoURL: String?
        public var primaryColor: String
        public var accentColor: String
        public var emailSender: String?

        enum CodingKeys: String, CodingKey {
            case name
            case logoURL = "logo_url", primaryColor = "primary_color", accentColor = "accent_color"
            case emailSender = "email_sender"
        }
    }

    /// A plugin the tenant runs, with its config block.
    public struct PluginReference: Sendable, Encodable {
        public var id: String
        public var version: String?
        public var config: JSON
        /// Whether the plugin runs inside the host or in a worker process of its own.
        public var isolation: PluginIsolation = .inline(budget: nil)
    }

    enum CodingKeys: String, CodingKey {
        case slug, name, domains, locale, timezone, branding, plugins, roles, egress, attributes
        case businessHours = "business_hours"
    }
}

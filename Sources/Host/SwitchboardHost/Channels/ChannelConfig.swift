import Foundation
import SwitchboardJSON

/// One channel a tenant enables in its manifest's `channels:` section. Secret values are
/// `env:VAR` references, resolved from the environment only when used.
public struct ChannelConfig: Sendable {
    public let kind: String
    public let values: [String: String]

    /// The keys each channel takes: whether required, and whether a secret (an `env:` reference).
    static let specs: [String: [String: (required: Bool, secret: Bool)]] = [
        "sandbox": [:],
        "whatsapp": [
            "phone_number_id": (true, false), "verify_token": (true, true), "app_secret": (true, true),
            "access_token": (true, true), "api_base": (false, false),
        ],
        "twilio": [
            "account_sid": (true, false), "auth_token": (true, true), "from": (true, false), "webhook_url": (false, false),
            "api_base": (false, false),
        ],
        "chatwoot": [
            "base_url": (true, false), "account_id": (true, false), "api_token": (true, true), "webhook_token": (true, true),
        ],
        "outlook": [
            "tenant_id": (true, false), "client_id": (true, false), "client_secret": (true, true), "mailbox": (true, false),
            "client_state": (true, true), "notification_url": (false, false), "graph_base": (false, false),
            "login_base": (false, false), "subscription_minutes": (false, false),
        ],
        "sms": ["secret": (true, true), "api_url": (false, false), "api_token": (false, true), "from": (false, false)],
        "smtp": ["url": (true, false), "username": (false, false), "password": (false, true), "from": (true, false)],
    ]

    /// Reads one channel's settings, returning the problems with their paths.
    static func parse(kind: String, json: JSON, path: String) -> (ChannelConfig?, [(path: String, message: String)]) {
        guard let spec = specs[kind] else {
            return (nil, [(path, "unknown channel \(kind); expected one of \(specs.keys.sorted().joined(separator: ", "))")])
        }
        return parse(kind: kind, spec: spec, json: json, path: path)
    }

    /// Reads settings of the same shape under another spec (e.g. the manifest's `calendar.google`).
    static func parse(
        kind: String, spec: [String: (required: Bool, secret: Bool)], json: JSON, path: String
    ) -> (ChannelConfig?, [(path: String, message: String)]) {
        let members = json.objectValue ?? [:]
        if json != .null, json.objectValue == nil { return (nil, [(path, "must be a mapping of settings")]) }
        var issues: [(String, String)] = []
        var values: [String: String] = [:]
        for (key, value) in members {
            guard let rule = spec[key] else {
                issues.append(("\(path).\(key)", "unknown setting; expected \(spec.keys.sorted().joined(separator: ", "))"))
                continue
            }
            let text: String
            switch value {
            case .string(let string): text = string
            case .number: text = ConditionEvaluator.text(value)
            default:
                issues.append(("\(path).\(key)", "must be a string"))
                continue
            }
            if rule.secret && !ManifestParser.isEnvReference(text) {
                issues.append(("\(path).\(key)", "is a secret: use an env:VARIABLE reference, never an inline value"))
            }
            values[key] = text
        }
        for (key, rule) in spec where rule.required && values[key] == nil {
            issues.append(("\(path).\(key)", "is required"))
        }
        return issues.isEmpty ? (ChannelConfig(kind: kind, values: values), []) : (nil, issues)
    }

    public subscript(_ key: String) -> String? { values[key] }

    /// A secret setting's value from the environment.
    public func secret(_ key: String, environment: [String: String] = SecretEnvironment.current) throws -> String {
        guard let reference = values[key] else { throw ChannelError.misconfigured("\(kind).\(key) is not set") }
        let variable = String(reference.dropFirst("env:".count))
        guard let value = environment[variable], !value.isEmpty else {
            throw ChannelError.misconfigured("\(kind).\(key): the environment variable \(variable) is not set")
        }
        return value
    }
}

/// How a tenant's outbound messages are timed: quiet hours and business hours.
public struct MessagingSettings: Sendable, Encodable {
    /// Minutes since midnight when sending may start and must stop (default 07:00 to 23:00).
    public var allowedFrom = 7 * 60
    public var allowedUntil = 23 * 60
    /// When true, sends also wait for the tenant's business hours.
    public var businessHoursOnly = false
    /// The free-form reply window after a contact's last inbound message.
    public var serviceWindowHours = 24
    /// An inbound message that is nothing but one of these words revokes the contact's consent (`OptOut`).
    public var optOutKeywords = OptOut.defaultKeywords

    enum CodingKeys: String, CodingKey {
        case allowedFrom = "allowed_from_minute", allowedUntil = "allowed_until_minute"
        case businessHoursOnly = "business_hours_only", serviceWindowHours = "service_window_hours"
        case optOutKeywords = "opt_out_keywords"
    }
}

/// A channel failure that the caller can act on.
public enum ChannelError: Error, CustomStringConvertible {
    case misconfigured(String)
    case notEnabled(String)

    public var description: String {
        switch self {
        case .misconfigured(let message): "channel misconfigured: \(message)"
        case .notEnabled(let kind): "the \(kind) channel is not enabled for this tenant"
        }
    }
}

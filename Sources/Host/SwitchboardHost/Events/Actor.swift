/// Who caused a change, as the events it raises name it: `user:Ana`, `token:website`, `plugin:leadqualifier`,
/// `automation:welcome`, `webhook:whatsapp`, `system:delivery`.
///
/// A change made by an automation rule also carries the event that ran the rule (`causeID`) and how deep that
/// chain of rules already is, so the rules engine can stop a rule that would fire twice in one chain.
public struct Actor: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var name: String
    /// The event whose rule made this change, if a rule did.
    public var causeID: String?
    /// How many rule-made changes lead up to this one: 0 for a change a person, plugin or provider made.
    public var depth: Int

    public init(_ name: String, causeID: String? = nil, depth: Int = 0) {
        self.name = name
        self.causeID = causeID
        self.depth = depth
    }

    public init(stringLiteral value: String) { self.init(value) }

    public var description: String { name }

    /// The plugin behind `plugin:<id>`, whose own changes are not delivered back to it.
    public var pluginID: String? {
        name.hasPrefix("plugin:") ? String(name.dropFirst("plugin:".count)) : nil
    }

    /// A person or API client acting through the console or the REST API, not a bot, rule or provider.
    public var isHuman: Bool { name.hasPrefix("user:") || name.hasPrefix("token:") }

    /// The host itself when nobody in particular asked for the change.
    public static let system: Actor = "system"

    /// A plugin acting through its host API.
    public static func plugin(_ id: String) -> Actor { Actor("plugin:\(id)") }
}

import SwitchboardJSON

/// A Chatwoot-style automation rule: on an event, when the conditions hold, run the actions.
///
/// Its JSON (and manifest YAML) form:
/// ```yaml
/// name: needs_guardian
/// event: contact_updated
/// conditions:
///   - {attribute: is_adult, operator: equal_to, value: "false"}
///   - {label: minor, operator: is_not_present, join: or}
/// actions:
///   - add_label: needs_guardian
/// ```
/// Conditions are joined by each condition's `join` (`and`, the default, or `or`) with the next
/// one; `and` binds tighter than `or`.
public struct AutomationRule: Codable, Sendable {
    public var id: String
    public var name: String
    public var event: String
    public var conditions: [Condition]
    public var actions: [JSON]
    public var active: Bool
    public var source: String

    public struct Condition: Codable, Sendable, Equatable {
        /// A contact custom attribute.
        public var attribute: String?
        /// A conversation attribute (conversation events).
        public var conversationAttribute: String?
        /// A contact label; `is_present`/`is_not_present` test whether the contact has it.
        public var label: String?
        /// A built-in field: name, email, phone, status, channel, assignee, message_content, message_direction.
        public var field: String?
        public var `operator`: String
        public var value: JSON?
        public var join: String?

        enum CodingKeys: String, CodingKey {
            case attribute, label, field, value, join
            case conversationAttribute = "conversation_attribute"
            case `operator` = "operator"
        }
    }

    /// The events a rule can trigger on: the host's event catalogue, and the Chatwoot-style names of earlier
    /// releases (`EventCatalogue.ruleAliases`). Plugin-emitted events do not run rules.
    public static let events: Set<String> = EventCatalogue.hostTypes.subtracting([EventCatalogue.pluginReloaded])
        .union(EventCatalogue.ruleAliases.keys)
    public static let operators: Set<String> = [
        "equal_to", "not_equal_to", "contains", "is_present", "is_not_present", "greater_than", "less_than",
    ]
    public static let actionNames: Set<String> = [
        "add_label", "remove_label", "set_attribute", "assign_agent", "assign_team", "send_message", "create_task",
        "send_webhook", "emit_plugin_event",
    ]
    public static let fields: Set<String> = [
        "name", "email", "phone", "status", "channel", "assignee", "message_content", "message_direction",
    ]

    /// Reads and checks a rule given as JSON; every problem comes back with its path under `path`.
    public static func parse(_ json: JSON, path: String, id: String, source: String) -> (AutomationRule?, [(path: String, message: String)]) {
        var issues: [(String, String)] = []
        guard let object = json.objectValue else { return (nil, [(path, "a rule is a mapping with name, event, conditions and actions")]) }
        let known: Set<String> = ["name", "event", "conditions", "actions", "active"]
        for key in object.keys where !known.contains(key) { issues.append(("\(path).\(key)", "unknown key; expected \(known.sorted().joined(separator: ", "))")) }
        let name = object["name"]?.stringValue ?? ""
        if name.isEmpty { issues.append(("\(path).name", "is required")) }
        let event = object["event"]?.stringValue ?? ""
        if !events.contains(event) { issues.append(("\(path).event", "must be one of \(events.sorted().joined(separator: ", "))")) }
        var conditions: [Condition] = []
        for (index, item) in (object["conditions"]?.arrayValue ?? []).enumerated() {
            let conditionPath = "\(path).conditions[\(index)]"
            guard let condition = try? item.decode(as: Condition.self) else {
                issues.append((conditionPath, "must be {attribute|conversation_attribute|label|field, operator, value?, join?}"))
                continue
            }
            let subjects = [condition.attribute, condition.conversationAttribute, condition.label, condition.field].compactMap { $0 }
            if subjects.count != 1 { issues.append((conditionPath, "name exactly one of attribute, conversation_attribute, label or field")) }
            if let field = condition.field, !fields.contains(field) { issues.append(("\(conditionPath).field", "must be one of \(fields.sorted().joined(separator: ", "))")) }
            if !operators.contains(condition.operator) { issues.append(("\(conditionPath).operator", "must be one of \(operators.sorted().joined(separator: ", "))")) }
            if condition.label != nil, !["is_present", "is_not_present"].contains(condition.operator) {
                issues.append(("\(conditionPath).operator", "a label condition takes is_present or is_not_present"))
            }
            if !["is_present", "is_not_present"].contains(condition.operator), condition.value == nil {
                issues.append(("\(conditionPath).value", "is required for \(condition.operator)"))
            }
            if let join = condition.join, !["and", "or"].contains(join) { issues.append(("\(conditionPath).join", "must be and or or")) }
            conditions.append(condition)
        }
        if object["conditions"] != nil, object["conditions"]?.arrayValue == nil { issues.append(("\(path).conditions", "must be a list")) }
        let actions = object["actions"]?.arrayValue ?? []
        if actions.isEmpty { issues.append(("\(path).actions", "list at least one action")) }
        for (index, action) in actions.enumerated() {
            let actionPath = "\(path).actions[\(index)]"
            guard let members = action.objectValue, members.count == 1, let (name, argument) = members.first else {
                issues.append((actionPath, "an action is one key, e.g. add_label: vip"))
                continue
            }
            if !actionNames.contains(name) {
                issues.append((actionPath, "unknown action \(name); expected one of \(actionNames.sorted().joined(separator: ", "))"))
            } else if let problem = argumentProblem(name, argument) {
                issues.append(("\(actionPath).\(name)", problem))
            }
        }
        guard issues.isEmpty else { return (nil, issues) }
        let active = object["active"]?.boolValue ?? true
        return (AutomationRule(id: id, name: name, event: event, conditions: conditions, actions: actions, active: active, source: source), [])
    }

    private static func argumentProblem(_ action: String, _ argument: JSON) -> String? {
        switch action {
        case "add_label", "remove_label", "assign_agent", "assign_team":
            return argument.stringValue?.isEmpty == false ? nil : "takes a non-empty string"
        case "set_attribute":
            guard let object = argument.objectValue, object["name"]?.stringValue != nil, object["value"] != nil else {
                return "takes {name, value}"
            }
            return nil
        case "send_message":
            return argument["template"]?.stringValue != nil || argument["text"]?.stringValue != nil ? nil : "takes {template, variables?} or {text}"
        case "create_task":
            return argument["title"]?.stringValue != nil ? nil : "takes {title, priority?, due_in_hours?, assignee?}"
        case "send_webhook":
            guard let url = argument["url"]?.stringValue, url.hasPrefix("https://") || url.hasPrefix("http://") else {
                return "takes {url} with an http(s) URL"
            }
            return nil
        case "emit_plugin_event":
            guard let type = argument["type"]?.stringValue, !type.isEmpty else { return "takes {type, data?}" }
            return EventCatalogue.hostTypes.contains(type) ? "\(type) is a host event; name the plugin event otherwise" : nil
        default:
            return nil
        }
    }

    /// The rule as its JSON definition (what is stored and returned by the API).
    public var definition: JSON {
        .object([
            "name": .string(name), "event": .string(event),
            "conditions": (try? JSON(encoding: conditions)) ?? .array([]),
            "actions": .array(actions), "active": .bool(active),
        ])
    }
}

import Foundation
import SwitchboardJSON

/// What a rule's conditions look at: the contact, and for conversation and message events the conversation and message.
public struct AutomationSubject: Sendable {
    public var contact: Contact?
    public var conversation: Conversation?
    public var messageContent: String?
    public var messageDirection: String?
}

/// Evaluates conditions the way Chatwoot does, over text forms of the values.
enum ConditionEvaluator {
    /// Whether the conditions hold; `and` binds tighter than `or`. No conditions always hold.
    static func matches(_ conditions: [AutomationRule.Condition], _ subject: AutomationSubject) -> Bool {
        guard !conditions.isEmpty else { return true }
        var anyGroup = false
        var group = true
        for (index, condition) in conditions.enumerated() {
            group = group && holds(condition, subject)
            let isLast = index == conditions.count - 1
            if isLast || condition.join == "or" {
                anyGroup = anyGroup || group
                group = true
            }
        }
        return anyGroup
    }

    static func holds(_ condition: AutomationRule.Condition, _ subject: AutomationSubject) -> Bool {
        if let label = condition.label {
            let has = subject.contact?.labels.contains(label) ?? false
            return condition.operator == "is_present" ? has : !has
        }
        let actual = value(of: condition, in: subject)
        let text = actual.map(Self.text) ?? ""
        let expected = condition.value.map(Self.text) ?? ""
        switch condition.operator {
        case "is_present": return !text.isEmpty
        case "is_not_present": return text.isEmpty
        case "equal_to": return text == expected
        case "not_equal_to": return text != expected
        case "contains": return text.localizedCaseInsensitiveContains(expected)
        case "greater_than", "less_than":
            let greater = condition.operator == "greater_than"
            if let a = Double(text), let b = Double(expected) { return greater ? a > b : a < b }
            guard !text.isEmpty else { return false }
            return greater ? text > expected : text < expected
        default: return false
        }
    }

    private static func value(of condition: AutomationRule.Condition, in subject: AutomationSubject) -> JSON? {
        if let name = condition.attribute { return subject.contact?.attributes[name] }
        if let name = condition.conversationAttribute { return subject.conversation?.attributes[name] }
        switch condition.field {
        case "name": return subject.contact?.name.map(JSON.string)
        case "email": return subject.contact?.email.map(JSON.string)
        case "phone": return subject.contact?.phone.map(JSON.string)
        case "status": return subject.conversation.map { .string($0.status) }
        case "channel": return subject.conversation.map { .string($0.channel) }
        case "assignee": return subject.conversation?.assignee.map(JSON.string)
        case "message_content": return subject.messageContent.map(JSON.string)
        case "message_direction": return subject.messageDirection.map(JSON.string)
        default: return nil
        }
    }

    /// The text form of a value: strings as they are, booleans as true/false, whole numbers without a fraction.
    static func text(_ value: JSON) -> String {
        switch value {
        case .string(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .null: return ""
        default: return (try? value.serialized()) ?? ""
        }
    }
}

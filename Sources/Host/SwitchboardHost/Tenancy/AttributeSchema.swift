import Foundation
import SwitchboardJSON

/// The typed custom attributes a tenant declares for contacts and conversations.
/// With no declarations, any attribute is accepted.
public struct AttributeSchema: Sendable, Encodable {
    public enum Kind: String, CaseIterable, Sendable, Encodable {
        case text, number, boolean, date, list
    }

    public var contact: [String: Kind] = [:]
    public var conversation: [String: Kind] = [:]

    /// Why `value` cannot be stored as attribute `name`, or nil. `null` always clears.
    public static func problem(name: String, value: JSON, in definitions: [String: Kind]) -> String? {
        guard !definitions.isEmpty else { return nil }
        guard let kind = definitions[name] else {
            return "unknown attribute; declared: \(definitions.keys.sorted().joined(separator: ", "))"
        }
        if value == .null { return nil }
        switch (kind, value) {
        case (.text, .string), (.number, .number), (.boolean, .bool), (.list, .array): return nil
        case (.date, .string(let text)):
            return Self.isDate(text) ? nil : "must be an ISO 8601 date or date-time"
        default:
            return "must be \(kind.rawValue)"
        }
    }

    static func isDate(_ text: String) -> Bool {
        if text.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil { return true }
        return (try? Date(text, strategy: .iso8601)) != nil
    }
}

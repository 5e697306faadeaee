import PluginAPI

/// Seed 001's `detect_segment`: a cached `segment` wins, then the weekend whitelist, the
/// returning-broadcast list, the existing-customer indicators, and otherwise `new`.
enum Segment {
    /// Attributes any of which marks an existing customer.
    static let existingIndicators = [
        "customer_since", "has_paid_lesson", "has_completed_intake", "intake_completed", "trial_lesson_completed", "lesson_booked",
    ]

    /// The segment for a contact's attributes, and whether it was already cached in `segment`.
    static func detect(_ attributes: [String: JSON]) -> (segment: String, cached: Bool) {
        if let cached = attributes["segment"]?.stringValue, !cached.isEmpty { return (cached, true) }
        let segment: String
        if truthy(attributes["weekend_whitelisted"]) {
            segment = "weekend"
        } else if truthy(attributes["returning_broadcast"]) {
            segment = "returning_broadcast"
        } else if existingIndicators.contains(where: { truthy(attributes[$0]) }) || attributes["customer_status"]?.stringValue == "active" {
            segment = "existing"
        } else {
            segment = "new"
        }
        return (segment, false)
    }

    /// Python truthiness, except that the text flags this tenant stores ("false", "0") are false.
    static func truthy(_ value: JSON?) -> Bool {
        switch value {
        case .bool(let flag): flag
        case .number(let number): number != 0
        case .string(let text): !["", "false", "0"].contains(text.lowercased())
        case .array(let items): !items.isEmpty
        case .object(let members): !members.isEmpty
        case .null, nil: false
        }
    }
}

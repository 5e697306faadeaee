import PluginAPI

/// Seed 004's enums, spelled exactly as its five tables list them.
enum Vocabulary {
    static let channelTypes = ["email_outlook", "whatsapp_business", "internal_comment", "internal_task", "internal_ticket", "sms", "phone_call"]
    static let threadTypes = [
        "customer_support", "partner_inquiry", "installation_coordination", "technical_issue", "sales_inquiry", "complaint",
        "internal_task", "project_discussion",
    ]
    /// Lowest first: the index is the rank used for sorting and raising.
    static let priorities = ["low", "normal", "high", "urgent", "critical"]
    static let threadStatuses = ["open", "in_progress", "waiting_customer", "waiting_internal", "escalated", "resolved", "closed"]
    static let messageTypes = ["incoming", "outgoing", "internal_note", "system_notification", "auto_response"]
    static let deliveryStatuses = ["pending", "sent", "delivered", "read", "failed", "bounced"]
    /// How far along a delivery status is, as the host ranks its own (a read receipt can come before the delivered one).
    static let deliveryProgress = ["pending": 0, "sent": 1, "delivered": 2, "failed": 3, "bounced": 3, "read": 4]
    static let taskTypes = [
        "follow_up", "callback", "send_email", "schedule_visit", "escalate", "research", "documentation", "approval_request", "other",
    ]
    static let taskStatuses = ["open", "in_progress", "waiting", "completed", "cancelled"]
    static let templateCategories = [
        "customer_service", "installation_scheduling", "technical_support", "sales_inquiry", "complaint_response", "follow_up",
        "auto_response", "internal_notification",
    ]
    static let templateChannelTypes = ["email_outlook", "whatsapp_business", "internal_comment", "sms", "any"]
    static let businessEntities = ["chargecars", "laderthuis", "meterkastthuis", "zaptecshop", "ratioshop", "all"]

    /// Statuses in which a thread no longer waits for a response.
    static let finished: Set<String> = ["resolved", "closed"]

    static func rank(_ priority: String) -> Int { priorities.firstIndex(of: priority) ?? 1 }

    /// The next priority up, capped at critical.
    static func raised(_ priority: String) -> String { priorities[min(rank(priority) + 1, priorities.count - 1)] }

    /// `value` when it is one of `allowed`, else a bad-argument error naming the field.
    static func check(_ value: String, in allowed: [String], field: String) throws -> String {
        guard allowed.contains(value) else {
            throw PluginError.badArgument("\(field) must be one of \(allowed.joined(separator: ", "))")
        }
        return value
    }
}

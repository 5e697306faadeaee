import PluginAPI

/// seed 004 `communication_thread`: the plugin's fields of one thread, in the record store under the
/// id of the host conversation it extends (or a fresh id for an internal thread). The conversation
/// keeps the messages, contact and channel; the assignee and team are written through to it.
struct ThreadRecord: Codable {
    var id: String
    var conversationID: String?
    var contactID: String?
    var threadSubject: String
    var threadType: String
    var priority: String
    var status: String
    var channelType: String
    var businessEntity: String?
    var orderID: String?
    var orderNumber: String?
    var customerOrganizationID: String?
    var partnerOrganizationID: String?
    var assignedToContactID: String?
    var team: String?
    var createdByContactID: String?
    var lastMessageAt: Int64?
    var responseDueAt: Int64?
    var tags: [String] = []
    var externalReferences: [String: String] = [:]
    var openedAt: Int64
    var firstResponseAt: Int64?
    var resolvedAt: Int64?
    var sla = SLAState()
    /// `true` when the assignment came from the rules, `false` once a person changed it.
    var autoAssigned: Bool?
    var assignmentChangedByHand = false
    /// The sort key of the inbox: priority (highest first), then due time.
    var inboxKey: String {
        let due = responseDueAt.map { String(format: "%015lld", $0) } ?? "999999999999999"
        return "\(9 - Vocabulary.rank(priority))|\(due)|\(id)"
    }

    enum CodingKeys: String, CodingKey {
        case id, priority, status, tags, team, sla
        case conversationID = "conversation_id", contactID = "contact_id", threadSubject = "thread_subject", threadType = "thread_type"
        case channelType = "channel_type", businessEntity = "business_entity", orderID = "order_id", orderNumber = "order_number"
        case customerOrganizationID = "customer_organization_id", partnerOrganizationID = "partner_organization_id"
        case assignedToContactID = "assigned_to_contact_id", createdByContactID = "created_by_contact_id"
        case lastMessageAt = "last_message_at", responseDueAt = "response_due_at", externalReferences = "external_references"
        case openedAt = "opened_at", firstResponseAt = "first_response_at", resolvedAt = "resolved_at"
        case autoAssigned = "auto_assigned", assignmentChangedByHand = "assignment_changed_by_hand"
    }
}

/// The SLA ladder state of a thread: the clock's target, when it started, the steps already fired,
/// and the business time left while it is paused (waiting_customer).
struct SLAState: Codable {
    var targetSeconds: Double = 0
    var startedAt: Int64?
    var fired: [String] = []
    var pausedRemainingSeconds: Double?
    var breached = false

    enum CodingKeys: String, CodingKey {
        case fired, breached
        case targetSeconds = "target_seconds", startedAt = "started_at", pausedRemainingSeconds = "paused_remaining_seconds"
    }
}

/// The record store collections.
enum Collections {
    static let threads = "threads"
    static let messages = "thread_messages"
    static let tasks = "task_details"
    static let templates = "template_details"
    static let channels = "channels"
    static let assignment = "assignment_queue"
    static let messageKeys = "message_keys"
    /// A host message id → the key of the record that logs it.
    static let hostMessageKeys = "host_message_keys"
    static let orders = "orders"
}

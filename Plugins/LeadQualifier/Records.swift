import PluginAPI

/// seed 002 §3 `qualification_answers`, one per contact (record store collection of the same name).
struct QualificationAnswers: Codable {
    var conversationID: String?
    var adsRunning = "unknown"
    var monthlyLeads: Int?
    var monthlyLeadsBucket = "unknown"
    /// `true|false|pending`
    var qualified = "pending"
    var reason: String?
    var updatedAt: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case conversationID = "conversation_id", adsRunning = "ads_running", monthlyLeads = "monthly_leads"
        case monthlyLeadsBucket = "monthly_leads_bucket", qualified, reason, updatedAt = "updated_at"
    }
}

/// seed 002 §3 `tasks_scheduled`: a view of the plugin's jobs, keyed `<contact>:<task_type>`.
struct ScheduledTask: Codable {
    var id: String
    var contactID: String
    var conversationID: String?
    /// `welcome|nudge_30m|followup_24h|followup_48h|reminder_22h|reminder_55m|reminder_5m`
    var taskType: String
    var runAt: Int64
    var payload: JSON
    /// `pending|running|done|cancelled|failed`
    var status: String
    var attempts: Int

    enum CodingKeys: String, CodingKey {
        case id, contactID = "contact_id", conversationID = "conversation_id", taskType = "task_type", runAt = "run_at"
        case payload = "payload_json", status, attempts
    }
}

/// One lead's funnel milestones (epoch ms), the source of the KPIs (seed 002 §11).
struct LeadRecord: Codable {
    var contactID: String
    var optinAt: Int64
    var welcomeSentAt: Int64?
    var firstInboundAt: Int64?
    var firstResponseAt: Int64?
    /// `true` or `false` once the flow was answered.
    var qualified: Bool?
    var bookedAt: Int64?
    var eventID: String?
    var attended: Bool?
    var optedOutAt: Int64?

    enum CodingKeys: String, CodingKey {
        case contactID = "contact_id", optinAt = "optin_at", welcomeSentAt = "welcome_sent_at", firstInboundAt = "first_inbound_at"
        case firstResponseAt = "first_response_at", qualified, bookedAt = "booked_at", eventID = "event_id", attended
        case optedOutAt = "opted_out_at"
    }
}

/// The record store collections.
enum Collections {
    static let answers = "qualification_answers"
    static let tasks = "tasks_scheduled"
    static let leads = "leads"
    static let appointments = "appointments"
    /// Events already handled, by event id.
    static let turns = "turns"
}

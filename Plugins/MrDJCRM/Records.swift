import PluginAPI

/// A website or manual enquiry (seed 003 `crm_leads`); `status`: new, contacted, qualified, converted, lost.
struct Lead: Codable {
    var id: String
    var contactID: String
    var name: String?
    var email: String?
    var phone: String?
    var pipeline: String
    var eventDate: String?
    var venue: String?
    var message: String?
    var source: String
    var status = "new"
    var owner: String
    var priority = "normal"
    var createdAt: Int64
    var firstResponseAt: Int64?
    var dealID: String?

    enum CodingKeys: String, CodingKey {
        case id, contactID = "contact_id", name, email, phone, pipeline, eventDate = "event_date", venue, message, source, status
        case owner, priority, createdAt = "created_at", firstResponseAt = "first_response_at", dealID = "deal_id"
    }
}

/// A deal in a pipeline (seed 003 `crm_deals`); `stage` is one of the pipeline's stages, `won` or `lost`.
struct Deal: Codable {
    var id: String
    var contactID: String
    var leadID: String?
    var title: String
    var pipeline: String
    var stage: String
    var owner: String
    var priority = "normal"
    var package: String?
    var valueCents = 0
    var eventDate: String?
    var venue: String?
    var quoteID: String?
    var projectID: String?
    var createdAt: Int64
    var updatedAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, contactID = "contact_id", leadID = "lead_id", title, pipeline, stage, owner, priority, package
        case valueCents = "value_cents", eventDate = "event_date", venue, quoteID = "quote_id", projectID = "project_id"
        case createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// A note, call, email, task or stage change on a lead or deal (seed 003 `crm_activities`).
struct Activity: Codable {
    var id: String
    var kind: String
    var subject: String
    var body: String?
    var leadID: String?
    var dealID: String?
    var author: String
    var dueAt: Int64?
    var mentions: [String] = []
    var taskID: String?
    var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, kind, subject, body, leadID = "lead_id", dealID = "deal_id", author, dueAt = "due_at", mentions
        case taskID = "task_id", createdAt = "created_at"
    }
}

/// A quote built from a package template; `status`: sent, accepted. The PDF is kept base64.
struct Quote: Codable {
    struct Line: Codable { var description: String; var cents: Int }
    var id: String
    var dealID: String
    var package: String
    var lines: [Line]
    var netCents: Int
    var vatCents: Int
    var totalCents: Int
    var status = "sent"
    var sentAt: Int64
    var acceptedAt: Int64?
    var paymentID: String?
    var checkoutURL: String?
    var pdfBase64: String

    enum CodingKeys: String, CodingKey {
        case id, dealID = "deal_id", package, lines, netCents = "net_cents", vatCents = "vat_cents", totalCents = "total_cents"
        case status, sentAt = "sent_at", acceptedAt = "accepted_at", paymentID = "payment_id", checkoutURL = "checkout_url"
        case pdfBase64 = "pdf_base64"
    }
}

/// The event to run once the deposit is paid.
struct Project: Codable {
    var id: String
    var dealID: String
    var contactID: String
    var date: String?
    var venue: String?
    var package: String?
    var crew: Int
    var equipment: [String]
    var calendarEventID: String?
    var createdAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, dealID = "deal_id", contactID = "contact_id", date, venue, package, crew, equipment
        case calendarEventID = "calendar_event_id", createdAt = "created_at"
    }
}

/// A Mollie deposit payment and what the webhook last did with it.
struct Payment: Codable {
    var id: String
    var dealID: String
    var quoteID: String
    var status: String
    var handled = false

    enum CodingKeys: String, CodingKey { case id, dealID = "deal_id", quoteID = "quote_id", status, handled }
}

/// An SLA breach, for the dashboard.
struct Breach: Codable {
    var rule: String
    var subject: String
    var owner: String
    var at: Int64
}

/// The record store collections.
enum Collections {
    static let leads = "leads"
    static let deals = "deals"
    static let activities = "activities"
    static let quotes = "quotes"
    static let projects = "projects"
    static let payments = "payments"
    static let breaches = "sla_breaches"
    static let counters = "counters"
    static let keys = "keys"
}

import Foundation
import SwitchboardJSON

/// An event in a tenant's calendar: a booked lesson, an appointment, a gig. Busy time for slot planning.
public struct CalendarEvent: Codable, Sendable {
    public var id: String
    public var title: String
    public var description: String?
    public var location: String?
    public var startsAt: Int64
    public var endsAt: Int64
    /// confirmed, tentative or cancelled.
    public var status: String
    public var contactID: String?
    public var conversationID: String?
    /// Who made it: `api`, `plugin:<id>`, `import`.
    public var source: String
    /// Bumped on every change, as RFC 5545's SEQUENCE.
    public var sequence: Int
    public var createdAt: Int64
    public var updatedAt: Int64

    enum CodingKeys: String, CodingKey {
        case id, title, description, location, status, source, sequence
        case startsAt = "starts_at", endsAt = "ends_at", contactID = "contact_id", conversationID = "conversation_id"
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    public static let statuses: Set<String> = ["confirmed", "tentative", "cancelled"]

    init(row: Row) {
        id = row.string("id") ?? ""
        title = row.string("title") ?? ""
        description = row.string("description")
        location = row.string("location")
        startsAt = row.int("starts_at") ?? 0
        endsAt = row.int("ends_at") ?? 0
        status = row.string("status") ?? "confirmed"
        contactID = row.string("contact_id")
        conversationID = row.string("conversation_id")
        source = row.string("source") ?? ""
        sequence = Int(row.int("sequence") ?? 0)
        createdAt = row.int("created_at") ?? 0
        updatedAt = row.int("updated_at") ?? 0
    }
}

/// Tenant-scoped calendar events. A new event records `calendar.event.created`, a change `calendar.event.updated`, and
/// a cancellation `calendar.event.cancelled`.
public struct CalendarStore: Sendable {
    public let database: Database
    let events: EventLog

    public struct Draft: Sendable {
        public var title: String
        public var description: String?
        public var location: String?
        public var startsAt: Int64
        public var endsAt: Int64
        public var status = "confirmed"
        public var contactID: String?
        public var conversationID: String?
    }

    public func create(tenantID: String, _ draft: Draft, source: String, actor: Actor = .system) throws -> CalendarEvent {
        let id = Identifier.make(), now = Clock.nowMillis()
        return try database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO calendar_events (tenant_id, id, title, description, location, starts_at, ends_at, status, contact_id,
                                             conversation_id, source, sequence, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $12)
                """,
                [.text(tenantID), .text(id), .text(draft.title), .text(draft.description), .text(draft.location),
                 .integer(draft.startsAt), .integer(draft.endsAt), .text(draft.status), .text(draft.contactID),
                 .text(draft.conversationID), .text(source), .integer(now)])
            let event = try find(tenantID: tenantID, id: id, in: connection)!
            try events.record(
                EventDraft(
                    EventCatalogue.calendarEventCreated, data: ["event": try JSON(encoding: event)], contactID: event.contactID,
                    conversationID: event.conversationID),
                tenantID: tenantID, actor: actor, in: connection)
            return event
        }
    }

    public func find(tenantID: String, id: String) throws -> CalendarEvent? {
        try database.read { try find(tenantID: tenantID, id: id, in: $0) }
    }

    private func find(tenantID: String, id: String, in connection: SQLConnection) throws -> CalendarEvent? {
        try connection.query("SELECT * FROM calendar_events WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)])
            .first.map(CalendarEvent.init(row:))
    }

    /// Events overlapping [from, to), soonest first; cancelled ones only when asked.
    public func events(tenantID: String, from: Int64, to: Int64, includeCancelled: Bool = false, limit: Int = 5000) throws -> [CalendarEvent] {
        var sql = "SELECT * FROM calendar_events WHERE tenant_id = $1 AND starts_at < $3 AND ends_at > $2"
        if !includeCancelled { sql += " AND status <> 'cancelled'" }
        sql += " ORDER BY starts_at, id LIMIT \(max(1, min(limit, 20_000)))"
        return try database.read { try $0.query(sql, [.text(tenantID), .integer(from), .integer(to)]) }.map(CalendarEvent.init(row:))
    }

    /// Moves, renames or cancels an event; bumps its sequence.
    public func update(
        tenantID: String, id: String, title: String? = nil, startsAt: Int64? = nil, endsAt: Int64? = nil, status: String? = nil,
        actor: Actor = .system
    ) throws -> CalendarEvent? {
        try database.transaction { connection in
            guard let event = try find(tenantID: tenantID, id: id, in: connection) else { return nil }
            try connection.execute(
                """
                UPDATE calendar_events SET title = $3, starts_at = $4, ends_at = $5, status = $6, sequence = sequence + 1, updated_at = $7
                WHERE tenant_id = $1 AND id = $2
                """,
                [.text(tenantID), .text(id), .text(title ?? event.title), .integer(startsAt ?? event.startsAt),
                 .integer(endsAt ?? event.endsAt), .text(status ?? event.status), .integer(Clock.nowMillis())])
            guard let updated = try find(tenantID: tenantID, id: id, in: connection) else { return nil }
            var changes = Changes()
            changes.note("title", event.title, updated.title)
            changes.note("starts_at", event.startsAt, updated.startsAt)
            changes.note("ends_at", event.endsAt, updated.endsAt)
            changes.note("status", event.status, updated.status)
            if !changes.isEmpty {
                let cancelled = updated.status == "cancelled" && event.status != "cancelled"
                try events.record(
                    EventDraft(
                        cancelled ? EventCatalogue.calendarEventCancelled : EventCatalogue.calendarEventUpdated,
                        data: ["event": try JSON(encoding: updated), "changes": changes.json], contactID: updated.contactID,
                        conversationID: updated.conversationID),
                    tenantID: tenantID, actor: actor, in: connection)
            }
            return updated
        }
    }
}

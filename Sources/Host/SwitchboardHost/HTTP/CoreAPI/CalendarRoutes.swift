import Hummingbird
import SwitchboardJSON

/// `/api/v1/calendar`: the tenant's events (busy time for slot planning) and an ICS feed.
struct CalendarRoutes {
    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/calendar/events", "List events overlapping from..to (epoch ms; default the next 30 days)", tag: "calendar",
                permission: "calendar:read", response: "CalendarEventList") { request, context in
            let (from, to) = try Self.range(request)
            return try json(["data": try await context.perform { try $0.services.calendar.events(tenantID: $0.slug, from: from, to: to) }])
        }

        api.add(.post, "/api/v1/calendar/events", "Create an event", tag: "calendar", permission: "calendar:write",
                request: "CalendarEventInput", response: "CalendarEvent", status: 201) { request, context in
            var body = try await JSONBody.read(request, context, allowed: ["title", "description", "location", "starts_at", "ends_at", "status", "contact_id"])
            let title = body.string("title", required: true, maxLength: 300) ?? ""
            let starts = body.integer("starts_at", required: true, range: 0...9_999_999_999_999) ?? 0
            let ends = body.integer("ends_at", required: true, range: 0...9_999_999_999_999) ?? 0
            if ends <= starts { body.fail("ends_at", "must be after starts_at") }
            let draft = CalendarStore.Draft(
                title: title, description: body.string("description", maxLength: 5000), location: body.string("location", maxLength: 500),
                startsAt: starts, endsAt: ends, status: body.string("status", oneOf: CalendarEvent.statuses) ?? "confirmed",
                contactID: body.string("contact_id", maxLength: 64))
            try body.finish()
            return try json(try await context.perform { try $0.services.calendar.create(tenantID: $0.slug, draft, source: "api") }, status: .created)
        }

        api.add(.patch, "/api/v1/calendar/events/{id}", "Move, rename or cancel an event", tag: "calendar", permission: "calendar:write",
                request: "CalendarEventInput", response: "CalendarEvent") { request, context in
            let id = try context.parameter("id")
            var body = try await JSONBody.read(request, context, allowed: ["title", "starts_at", "ends_at", "status"])
            let title = body.string("title", maxLength: 300)
            let starts = body.integer("starts_at", range: 0...9_999_999_999_999), ends = body.integer("ends_at", range: 0...9_999_999_999_999)
            let status = body.string("status", oneOf: CalendarEvent.statuses)
            try body.finish()
            guard let event = try await context.perform({
                try $0.services.calendar.update(tenantID: $0.slug, id: id, title: title, startsAt: starts, endsAt: ends, status: status)
            }) else { throw Problem.notFound("Event \(id)") }
            return try json(event)
        }

        api.add(.get, "/api/v1/calendar.ics", "The events from..to as an RFC 5545 feed (text/calendar)", tag: "calendar",
                permission: "calendar:read") { request, context in
            let tenant = try context.requireTenant()
            let (from, to) = try Self.range(request)
            let events = try await context.perform { try $0.services.calendar.events(tenantID: $0.slug, from: from, to: to) }
            let text = ICalendar.document(events: events, timezone: tenant.manifest.timezone, domain: tenant.manifest.domains.first ?? tenant.slug)
            return WebhookSupport.text(text, contentType: "text/calendar; charset=utf-8")
        }
    }

    static func range(_ request: Request) throws -> (Int64, Int64) {
        let now = Clock.nowMillis()
        let from = request.uri.queryParameters.get("from").flatMap { Int64($0) } ?? now
        let to = request.uri.queryParameters.get("to").flatMap { Int64($0) } ?? from + 30 * 86_400_000
        guard to > from, to - from <= 400 * 86_400_000 else {
            throw Problem(status: .unprocessableContent, title: "Validation failed", detail: "to must be after from, at most 400 days later.",
                          errors: [.init(path: "to", message: "invalid range")])
        }
        return (from, to)
    }
}

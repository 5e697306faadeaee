import Foundation
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// The manifest's `calendar.google` against a fake Google on 127.0.0.1 that verifies the service account's
/// RS256-signed JWT: busy time joins `suggest_slots`, bookings are inserted, and failures fall back.
@Suite("Google Calendar adapter")
struct GoogleCalendarTests {
    typealias Script = FakeGoogleCalendar.Script
    /// Monday 2 March 2026, 08:00 in Amsterdam (CET).
    static let now = "2026-03-02T08:00:00%2B01:00"
    /// The new profile's first three slots from `now` with an empty calendar.
    static let hostOnlySlots = ["2026-03-02T20:00:00+01:00", "2026-03-03T10:00:00+01:00", "2026-03-03T10:30:00+01:00"]

    /// A tutorbot host whose `calendar.google` points at a fake Google verifying with `key`; the key file holds
    /// `signingKey` (by default the same key).
    static func withGoogle(
        _ script: Script, key: TestRSAKey, signingKey: TestRSAKey? = nil,
        _ body: @Sendable (FakeProvider, TutorBotFlowTests.Bot) async throws -> Void
    ) async throws {
        try await FakeProvider.run(routes: FakeGoogleCalendar.routes(key: key, script: script)) { google in
            try await TutorBotFlowTests.withBot(yaml: FakeGoogleCalendar.manifest(google, key: signingKey ?? key)) { bot in
                try await body(google, bot)
            }
        }
    }

    static func slots(_ bot: TutorBotFlowTests.Bot) async throws -> APIClient.Reply {
        let created = try await bot.api.post("/api/v1/contacts", ["name": "Noor", "phone": "+31655555555"])
        let id = try #require(created.json["id"]?.stringValue)
        let reply = try await bot.api.get("/api/tutorbot/slots?contact_id=\(id)&limit=3&now=\(now)")
        #expect(reply.status == .ok)
        return reply
    }

    static func starts(_ reply: APIClient.Reply) -> [String] {
        reply.json["slots"]?.arrayValue?.compactMap { $0["start"]?.stringValue } ?? []
    }

    @Test("busy time from Google removes slots; one token, from a JWT whose RS256 signature verifies, serves both calls")
    func busyRemovesSlots() async throws {
        // Monday 20:00–21:00 and Tuesday 10:00–11:00 local, as Google writes them (UTC).
        let script = Script(busy: [("2026-03-02T19:00:00Z", "2026-03-02T20:00:00Z"), ("2026-03-03T09:00:00Z", "2026-03-03T10:00:00Z")])
        try await Self.withGoogle(script, key: try TestRSAKey.generate()) { google, bot in
            let reply = try await Self.slots(bot)
            #expect(reply.json["google_calendar"]?["status"] == "ok")
            // 20:00 Monday is taken; Tuesday 10:00–11:00 with 15-minute buffers blocks 10:00, 10:30 and 11:00.
            #expect(Self.starts(reply) == ["2026-03-03T11:30:00+01:00", "2026-03-03T12:00:00+01:00", "2026-03-03T12:30:00+01:00"])

            let freeBusy = try #require(google.requests("POST", "/calendar/v3/freeBusy").first)
            #expect(freeBusy.headers["authorization"] == "Bearer \(FakeGoogleCalendar.accessToken)")
            #expect(freeBusy.json["timeZone"] == "Europe/Amsterdam")
            #expect(freeBusy.json["items"] == [["id": .string(FakeGoogleCalendar.calendarID)]])
            let timeMin = try #require(freeBusy.json["timeMin"]?.stringValue.flatMap { Clock.millis(rfc3339: $0) })
            let timeMax = try #require(freeBusy.json["timeMax"]?.stringValue.flatMap { Clock.millis(rfc3339: $0) })
            #expect(timeMin <= 1_772_434_800_000 && timeMax >= 1_772_434_800_000 + 10 * 86_400_000, "the window covers days_ahead")

            let token = try #require(google.requests("POST", "/token").first)
            #expect(token.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(token.text.hasPrefix("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="))

            _ = try await bot.api.get("/api/tutorbot/slots?contact_id=\(try bot.contact("+31655555555").id)&now=\(Self.now)")
            #expect(google.requests("POST", "/calendar/v3/freeBusy").count == 2)
            #expect(google.requests("POST", "/token").count == 1, "the token is cached until it expires")
        }
    }

    @Test("a JWT signed with another key is refused by the token endpoint: audited, and the slots come from the host calendar")
    func wrongKeyFallsBack() async throws {
        try await Self.withGoogle(Script(), key: try TestRSAKey.generate(), signingKey: try TestRSAKey.generate()) { google, bot in
            let reply = try await Self.slots(bot)
            #expect(Self.starts(reply) == Self.hostOnlySlots)
            #expect(reply.json["google_calendar"]?["status"] == "failed")
            #expect(reply.json["google_calendar"]?["operation"] == "token")
            #expect(reply.json["google_calendar"]?["http_status"] == 400)
            #expect(google.requests("POST", "/calendar/v3/freeBusy").isEmpty)
            let audit = try bot.host.services.audit.entries(tenantID: "tutorbot", action: "google_calendar_failed")
            #expect(audit.count == 1 && audit.first?.actor == "host:google-calendar")
        }
    }

    @Test("Google answering 500 to freeBusy: the slots come from the host calendar, flagged, and the failure is audited")
    func serverErrorFallsBack() async throws {
        try await Self.withGoogle(Script(freeBusyStatus: 500), key: try TestRSAKey.generate()) { _, bot in
            let reply = try await Self.slots(bot)
            #expect(reply.status == .ok)
            #expect(Self.starts(reply) == Self.hostOnlySlots)
            #expect(reply.json["google_calendar"]?["status"] == "failed")
            #expect(reply.json["google_calendar"]?["http_status"] == 500)
            let audit = try #require(try bot.host.services.audit.entries(tenantID: "tutorbot", action: "google_calendar_failed").first)
            #expect(audit.details["operation"] == "freeBusy" && audit.details["error"]?.stringValue?.contains("Backend Error") == true)
        }
    }

    @Test("Google answering 401 drops the cached token, so the next call signs in again")
    func unauthorizedDropsToken() async throws {
        try await Self.withGoogle(Script(freeBusyStatus: 401), key: try TestRSAKey.generate()) { google, bot in
            let reply = try await Self.slots(bot)
            #expect(Self.starts(reply) == Self.hostOnlySlots)
            #expect(reply.json["google_calendar"]?["http_status"] == 401)
            _ = try await bot.api.get("/api/tutorbot/slots?contact_id=\(try bot.contact("+31655555555").id)&now=\(Self.now)")
            #expect(google.requests("POST", "/token").count == 2)
        }
    }

    @Test("calendar.create inserts the event into Google (start, end, time zone, summary, description); a 500 keeps the local event")
    func bookingInsertsEvent() async throws {
        let key = try TestRSAKey.generate()
        let start: Int64 = 1_772_528_400_000  // Tuesday 3 March 2026, 10:00 CET
        let request: JSON = [
            "title": "Bijles Eva", "description": "Wiskunde, havo 4", "starts_at": .number(Double(start)),
            "ends_at": .number(Double(start + 3_600_000)),
        ]
        try await Self.withGoogle(Script(), key: key) { google, bot in
            let host = bot.host
            let (status, event) = try await offloaded { try HostServicesTests.call(host, "tutorbot", "calendar.create", request) }
            #expect(status == 0)
            #expect(event["google"] == ["status": "ok", "event_id": "gcal-event-1"])
            let inserted = try #require(google.requests("POST", "/calendar/v3/calendars/").first)
            #expect(inserted.path.hasSuffix("/events") && inserted.path.contains("tutor"))
            #expect(inserted.json["summary"] == "Bijles Eva" && inserted.json["description"] == "Wiskunde, havo 4")
            #expect(inserted.json["start"] == ["dateTime": "2026-03-03T09:00:00Z", "timeZone": "Europe/Amsterdam"])
            #expect(inserted.json["end"] == ["dateTime": "2026-03-03T10:00:00Z", "timeZone": "Europe/Amsterdam"])
        }
        try await Self.withGoogle(Script(insertStatus: 500), key: key) { _, bot in
            let host = bot.host
            let (status, event) = try await offloaded { try HostServicesTests.call(host, "tutorbot", "calendar.create", request) }
            #expect(status == 0, "the booking stands in the tenant calendar")
            #expect(event["google"]?["status"] == "failed")
            #expect(try bot.events().count == 1)
            let audit = try bot.host.services.audit.entries(tenantID: "tutorbot", action: "google_calendar_failed")
            #expect(audit.first?.details["operation"] == "events.insert" && audit.first?.subject == event["id"]?.stringValue)
        }
    }

    @Test("calendar.google is checked: the key file only by env: reference, calendar_id required, nothing unknown")
    func manifestChecks() throws {
        let yaml = """
            slug: cal
            name: Cal
            domains: [cal.localhost]
            calendar:
              google:
                service_account: '{"private_key": "inline"}'
                colour: blue
              outlook: {}
            """
        let issues = ManifestParser.parseCollectingIssues(yaml).issues.map(\.path)
        #expect(Set(issues) == ["calendar.google.service_account", "calendar.google.colour", "calendar.google.calendar_id", "calendar.outlook"])
        let (manifest, _) = try ManifestParser.parse("""
            slug: cal
            name: Cal
            domains: [cal.localhost]
            calendar:
              google: {calendar_id: primary, service_account: env:GOOGLE_KEY}
            """)
        #expect(manifest.googleCalendar?["calendar_id"] == "primary")
    }
}

import Foundation
import SwitchboardJSON

/// A tenant's Google Calendar (the manifest's `calendar.google`), reached as a service account:
/// its busy time through `freeBusy`, and bookings through `events.insert`. Calls block (libcurl).
struct GoogleCalendar {
    /// The settings of `calendar.google`: the calendar's id, the service-account key file's JSON (an
    /// `env:` reference) and the API's base URL (tests point it at 127.0.0.1).
    static let settings: [String: (required: Bool, secret: Bool)] = [
        "calendar_id": (true, false), "service_account": (true, true), "api_base": (false, false),
    ]
    static let defaultAPIBase = "https://www.googleapis.com"
    static let scope = "https://www.googleapis.com/auth/calendar"
    /// A cached token is replaced this long before Google would refuse it.
    static let tokenMargin: Int64 = 60_000

    let config: ChannelConfig
    /// The tenant's IANA time zone, in which Google reads and writes times.
    let timeZone: String
    let http: HTTPClient

    var calendarID: String { config["calendar_id"] ?? "primary" }
    private var apiBase: String { (config["api_base"] ?? Self.defaultAPIBase).trimmingCharacters(in: CharacterSet(charactersIn: "/")) }

    /// Busy intervals [start, end) in epoch ms overlapping [from, to).
    func busy(from: Int64, to: Int64, now: Int64 = Clock.nowMillis()) throws -> [(start: Int64, end: Int64)] {
        let request: JSON = [
            "timeMin": .string(Self.rfc3339(from)), "timeMax": .string(Self.rfc3339(to)), "timeZone": .string(timeZone),
            "items": [["id": .string(calendarID)]],
        ]
        let reply = try call("POST", "/calendar/v3/freeBusy", request, operation: "freeBusy", now: now)
        let calendar = reply["calendars"]?[calendarID]
        if let error = calendar?["errors"]?.arrayValue?.first {
            throw GoogleCalendarError(operation: "freeBusy", message: "calendar \(calendarID): \(error["reason"]?.stringValue ?? "error")")
        }
        return (calendar?["busy"]?.arrayValue ?? []).compactMap { interval in
            guard let start = interval["start"]?.stringValue.flatMap({ Clock.millis(rfc3339: $0) }),
                let end = interval["end"]?.stringValue.flatMap({ Clock.millis(rfc3339: $0) })
            else { return nil }
            return (start, end)
        }
    }

    /// Inserts an event for `event`; returns Google's event id.
    func insert(_ event: CalendarEvent, now: Int64 = Clock.nowMillis()) throws -> String {
        var body: [String: JSON] = [
            "summary": .string(event.title),
            "start": ["dateTime": .string(Self.rfc3339(event.startsAt)), "timeZone": .string(timeZone)],
            "end": ["dateTime": .string(Self.rfc3339(event.endsAt)), "timeZone": .string(timeZone)],
        ]
        if let description = event.description { body["description"] = .string(description) }
        if let location = event.location { body["location"] = .string(location) }
        let path = "/calendar/v3/calendars/\(FormEncoding.escape(calendarID))/events"
        let reply = try call("POST", path, .object(body), operation: "events.insert", now: now)
        guard let id = reply["id"]?.stringValue else { throw GoogleCalendarError(operation: "events.insert", message: "Google answered without an event id") }
        return id
    }

    /// An authorized JSON call; a 401 drops the cached token so the next call fetches a new one.
    private func call(_ method: String, _ path: String, _ body: JSON, operation: String, now: Int64) throws -> JSON {
        let account = try GoogleServiceAccount(keyFile: config.secret("service_account"))
        let token = try account.accessToken(scope: Self.scope, http: http, now: now)
        let request = HTTPClient.Request(
            method: method, url: apiBase + path, headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"],
            body: try body.serializedBytes())
        do {
            return try Self.perform(http, request, operation: operation)
        } catch let error as GoogleCalendarError where error.status == 401 {
            account.dropToken()
            throw error
        }
    }

    /// Performs a request and reads its JSON answer; an HTTP error becomes a `GoogleCalendarError` with Google's message.
    static func perform(_ http: HTTPClient, _ request: HTTPClient.Request, operation: String) throws -> JSON {
        let response: HTTPClient.Response
        do {
            response = try http.perform(request)
        } catch let error as HTTPClient.TransportError {
            throw GoogleCalendarError(operation: operation, message: error.description)
        }
        let reply = (try? JSON.parse(bytes: response.body)) ?? .null
        guard response.status < 300 else {
            let message = reply["error"]?["message"]?.stringValue ?? reply["error_description"]?.stringValue ?? reply["error"]?.stringValue
            throw GoogleCalendarError(operation: operation, status: response.status, message: message ?? "HTTP \(response.status)")
        }
        return reply
    }

    /// RFC 3339 in UTC, as Google takes it.
    static func rfc3339(_ millis: Int64) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}

/// A failed call to Google (token, freeBusy or events.insert), with the HTTP status when there was one.
struct GoogleCalendarError: Error, CustomStringConvertible {
    var operation: String
    var status: Int?
    var message: String

    init(operation: String, status: Int? = nil, message: String) {
        self.operation = operation
        self.status = status
        self.message = message
    }

    var description: String { "Google Calendar \(operation)\(status.map { " (HTTP \($0))" } ?? ""): \(message)" }
}

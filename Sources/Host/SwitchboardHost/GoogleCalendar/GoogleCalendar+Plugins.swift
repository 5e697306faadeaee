import SwitchboardJSON

/// How the calendar host calls reach a tenant's Google Calendar, and fall back when it fails.
extension GoogleCalendar {
    /// The Google Calendar of the calling plugin's tenant, when its manifest configures one.
    static func of(_ host: HostContext) -> GoogleCalendar? {
        guard let tenant = host.tenant(), let config = tenant.manifest.googleCalendar else { return nil }
        return GoogleCalendar(config: config, timeZone: tenant.manifest.timezone, http: host.services.http)
    }

    /// Runs one call to Google for a plugin. Its answer gets `"status": "ok"`; a failure is logged, audited as
    /// `google_calendar_failed` and answered `{"status": "failed", "operation", "http_status"?, "error"}`,
    /// never thrown, so the caller goes on with the tenant calendar alone.
    static func attempt(_ host: HostContext, operation: String, subject: String? = nil, _ work: () throws -> [String: JSON]) -> JSON {
        do {
            var answer = try work()
            answer["status"] = "ok"
            return .object(answer)
        } catch {
            let failure = error as? GoogleCalendarError
            var details: [String: JSON] = ["operation": .string(failure?.operation ?? operation), "error": .string("\(error)")]
            if let status = failure?.status { details["http_status"] = .number(Double(status)) }
            host.logger.warning("Google Calendar failed, using the tenant calendar alone", metadata: ["error": "\(error)"])
            try? host.services.audit.record(
                tenantID: host.tenantID, actor: "host:google-calendar", action: "google_calendar_failed", subject: subject,
                details: .object(details))
            details["status"] = "failed"
            return .object(details)
        }
    }
}

import Foundation

/// RFC 5545 iCalendar text: CRLF line ends, lines folded at 75 octets, TZID-qualified times.
public enum ICalendar {
    /// A VCALENDAR with one VEVENT per event. `method` is PUBLISH for a feed, REQUEST for an invitation.
    public static func document(
        events: [CalendarEvent], timezone: String, method: String = "PUBLISH", domain: String, organizer: String? = nil,
        attendee: String? = nil, now: Int64 = Clock.nowMillis()
    ) -> String {
        var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Switchboard//Calendar//EN", "CALSCALE:GREGORIAN", "METHOD:\(method)"]
        for event in events {
            lines += [
                "BEGIN:VEVENT",
                "UID:\(event.id)@\(domain)",
                "DTSTAMP:\(utc(now))",
                "DTSTART;TZID=\(timezone):\(local(event.startsAt, timezone))",
                "DTEND;TZID=\(timezone):\(local(event.endsAt, timezone))",
                "SEQUENCE:\(event.sequence)",
                "STATUS:\(event.status.uppercased())",
                "SUMMARY:\(escape(event.title))",
            ]
            if let description = event.description { lines.append("DESCRIPTION:\(escape(description))") }
            if let location = event.location { lines.append("LOCATION:\(escape(location))") }
            if let organizer { lines.append("ORGANIZER:mailto:\(organizer)") }
            if let attendee { lines.append("ATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:\(attendee)") }
            lines.append("END:VEVENT")
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// TEXT escaping: backslash, semicolon, comma and newlines.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ";", with: "\\;")
            .replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(of: "\r\n", with: "\\n")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Splits a content line into 75-octet pieces, continuation lines starting with a space, never inside a UTF-8 character.
    static func fold(_ line: String) -> String {
        var pieces: [String] = []
        var current = ""
        var octets = 0
        for character in line {
            let size = String(character).utf8.count
            let limit = pieces.isEmpty ? 75 : 74
            if octets + size > limit {
                pieces.append(current)
                current = ""
                octets = 0
            }
            current.append(character)
            octets += size
        }
        pieces.append(current)
        return pieces.enumerated().map { $0.offset == 0 ? $0.element : " " + $0.element }.joined(separator: "\r\n")
    }

    static func utc(_ millis: Int64) -> String {
        format(millis, TimeZone(identifier: "UTC")!) + "Z"
    }

    static func local(_ millis: Int64, _ timezone: String) -> String {
        format(millis, TimeZone(identifier: timezone) ?? .gmt)
    }

    private static func format(_ millis: Int64, _ zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(format: "%04d%02d%02dT%02d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
    }
}

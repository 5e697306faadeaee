import Foundation
import PluginAPI

/// The plugin's settings from `plugins[].config` in the tenant manifest, with seed 004's defaults.
struct CommsConfig {
    struct Agent {
        var id: String
        var name: String
        var capacity: Int
        var skills: Set<String>
        /// Where the daily digest goes; none, no digest.
        var email: String?
    }

    struct Team {
        var name: String
        var lead: String?
        var agents: [Agent]
    }

    var entities: [String: JSON] = [:]
    var defaultEntity = "chargecars"
    var calendar: BusinessCalendar
    /// SLA targets in seconds of business time, per channel type.
    var slaSeconds: [String: TimeInterval] = ["email_outlook": 4 * 3600, "whatsapp_business": 3600]
    var escalatedSeconds: TimeInterval = 30 * 60
    /// A task's due time by priority when it is created without one, in business seconds.
    var taskSeconds: [String: TimeInterval] = ["critical": 3600, "urgent": 2 * 3600, "high": 4 * 3600, "normal": 8 * 3600, "low": 24 * 3600]
    var executiveAfterSeconds: TimeInterval = 24 * 3600
    /// Thread type → team name.
    var routing = ["customer_support": "customer_service", "technical_issue": "technical", "sales_inquiry": "sales"]
    var teams: [String: Team] = [:]
    var manager: String?
    var executive: String?
    /// Thread type → words that mark it in a subject or text.
    var threadKeywords: [String: [String]] = [:]
    /// Word → the skill it asks for (technical threads).
    var skillKeywords: [String: String] = [:]
    var orderPattern = #"(?i)(?:order|bestelling)\s*#?\s*(\d{4,})|#(\d{4,})"#
    /// Minutes after midnight of the daily digest.
    var digestMinute = 7 * 60 + 30
    var autoResponse = "Bedankt voor uw bericht. We zijn op dit moment gesloten en reageren op de eerstvolgende werkdag."

    init(_ json: JSON, timeZone: TimeZone) {
        func int(_ value: JSON?) -> Int? { value?.doubleValue.map { Int($0) } }
        entities = json["business_entities"]?.objectValue ?? [:]
        defaultEntity = json["default_business_entity"]?.stringValue ?? defaultEntity
        calendar = Self.calendar(json["business_hours"], timeZone: timeZone)
        let sla = json["sla"]
        if let hours = sla?["email_hours"]?.doubleValue { slaSeconds["email_outlook"] = hours * 3600 }
        if let hours = sla?["whatsapp_hours"]?.doubleValue { slaSeconds["whatsapp_business"] = hours * 3600 }
        if let minutes = sla?["escalated_minutes"]?.doubleValue { escalatedSeconds = minutes * 60 }
        if let hours = sla?["executive_after_hours"]?.doubleValue { executiveAfterSeconds = hours * 3600 }
        for (priority, hours) in sla?["task_hours"]?.objectValue ?? [:] { taskSeconds[priority] = hours.doubleValue.map { $0 * 3600 } }
        for (type, team) in json["routing"]?.objectValue ?? [:] { routing[type] = team.stringValue }
        for (name, team) in json["teams"]?.objectValue ?? [:] {
            let agents = (team["agents"]?.arrayValue ?? []).compactMap { agent -> Agent? in
                guard let id = agent["id"]?.stringValue else { return nil }
                return Agent(id: id, name: agent["name"]?.stringValue ?? id, capacity: int(agent["capacity"]) ?? 5,
                             skills: Set((agent["skills"]?.arrayValue ?? []).compactMap(\.stringValue)), email: agent["email"]?.stringValue)
            }
            teams[name] = Team(name: name, lead: team["lead"]?.stringValue, agents: agents)
        }
        manager = json["escalation"]?["manager"]?.stringValue
        executive = json["escalation"]?["executive"]?.stringValue
        for (type, words) in json["thread_keywords"]?.objectValue ?? [:] {
            threadKeywords[type] = (words.arrayValue ?? []).compactMap { $0.stringValue?.lowercased() }
        }
        for (word, skill) in json["skill_keywords"]?.objectValue ?? [:] { skillKeywords[word.lowercased()] = skill.stringValue }
        orderPattern = json["order_pattern"]?.stringValue ?? orderPattern
        autoResponse = json["auto_response"]?.stringValue ?? autoResponse
        if let time = json["digest_time"]?.stringValue, let range = Self.minuteRange("\(time)-23:59") { digestMinute = range.lowerBound }
    }

    /// `{timezone?, periods: {mon: ["08:00-12:00", …]}, holidays: ["2026-12-25"]}`; Mon–Fri 08:00–17:00 by default.
    static func calendar(_ json: JSON?, timeZone: TimeZone) -> BusinessCalendar {
        let names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        var periods: [Int: [Range<Int>]] = [:]
        if let configured = json?["periods"]?.objectValue {
            for (day, ranges) in configured {
                guard let index = names.firstIndex(of: day.lowercased()) else { continue }
                let list = ranges.arrayValue?.compactMap(\.stringValue) ?? ranges.stringValue.map { [$0] } ?? []
                periods[index + 1] = list.compactMap(minuteRange).sorted { $0.lowerBound < $1.lowerBound }
            }
        } else {
            for weekday in 2...6 { periods[weekday] = [480..<1020] }
        }
        let zone = json?["timezone"]?.stringValue.flatMap(TimeZone.init(identifier:)) ?? timeZone
        let holidays = Set((json?["holidays"]?.arrayValue ?? []).compactMap(\.stringValue))
        return BusinessCalendar(periods: periods, holidays: holidays, timeZone: zone)
    }

    /// "08:00-17:00" as minutes since midnight.
    static func minuteRange(_ text: String) -> Range<Int>? {
        let minutes = text.split(separator: "-").map { part -> Int? in
            let hm = part.split(separator: ":").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            return hm.count == 2 ? hm[0] * 60 + hm[1] : nil
        }
        guard minutes.count == 2, let from = minutes[0], let until = minutes[1], from < until else { return nil }
        return from..<until
    }
}

import Foundation
import PluginAPI

/// The plugin's settings from `plugins[].config` in the tenant manifest, with seed 002's defaults.
struct Config {
    var channel = "whatsapp"
    var senderName = "Sebastian"
    /// Seconds a bot reply waits (seed §7: 30 s to 5 min).
    var replyDelaySeconds = 30
    /// When bot replies may go out, in minutes since midnight tenant time (seed §7: 07:00–23:00).
    var replyHours = (from: 7 * 60, until: 23 * 60)
    var welcomeDelayMinutes = 5
    var optinSecret: String?
    var qualifiedMinMonthlyLeads = 100
    var resourceLink: String?
    var sentimentThreshold = 0.6
    var retrievalConfidence = 0.5
    var maxMisunderstandings = 2
    var handoverKeywords = ["mensch", "mitarbeiter", "berater", "beraterin", "anrufen", "anruf", "rückruf", "telefonieren", "echte person"]
    var templateApproval = "approved"
    var texts = Texts.defaults
    var knowledgeFolder = "knowledge"
    var knowledgeFiles = ["pricing.md", "offers.md", "faq.md", "legal.md"]
    var llm: LLMSettings?
    var calendar = CalendarSettings()
    var crmURL: String?
    var crmSecret: String?
    var crmTimeoutMillis = 5000

    struct LLMSettings {
        var url: String
        var apiKey: String
        var model: String
    }

    struct CalendarSettings {
        var slotMinutes = 30
        var dayStartMinute = 9 * 60
        var dayEndMinute = 17 * 60
        /// Weekdays with slots, 1 = Sunday … 7 = Saturday.
        var weekdays: Set<Int> = [2, 3, 4, 5, 6]
        var minLeadHours = 24
        var meetingLink = "https://meet.example.com/leadqualifier"
        var title = "Erstgespräch"
    }

    /// The allowed range of `reply_delay_seconds` (seed §7: 30 s to 5 min).
    static let replyDelayRange = 30...300

    /// Throws a `bad_argument` naming the setting when `reply_delay_seconds` or `reply_hours` is out of range:
    /// the plugin then refuses to start for the tenant, and onboarding answers 422 with the message.
    init(_ json: JSON) throws {
        func string(_ value: JSON?) -> String? { value?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        func int(_ value: JSON?) -> Int? { value?.doubleValue.map { Int($0) } }
        channel = string(json["channel"]) ?? channel
        senderName = string(json["sender_name"]) ?? senderName
        if let delay = json["reply_delay_seconds"] {
            guard let seconds = int(delay), Self.replyDelayRange.contains(seconds) else {
                let given = (try? delay.serialized()) ?? "?"
                throw PluginError.badArgument("config.reply_delay_seconds must be 30 to 300 (seed 002 §7: 30 s to 5 min), not \(given)")
            }
            replyDelaySeconds = seconds
        }
        if let hours = json["reply_hours"] {
            guard let range = hours.stringValue.flatMap(Self.minuteRange) else {
                throw PluginError.badArgument("config.reply_hours must be a range like 07:00-23:00")
            }
            replyHours = range
        }
        welcomeDelayMinutes = int(json["welcome_delay_minutes"]) ?? welcomeDelayMinutes
        optinSecret = string(json["optin_secret"])
        qualifiedMinMonthlyLeads = int(json["qualified_min_monthly_leads"]) ?? qualifiedMinMonthlyLeads
        resourceLink = string(json["resource_link"])
        let thresholds = json["thresholds"]
        sentimentThreshold = thresholds?["sentiment"]?.doubleValue ?? sentimentThreshold
        retrievalConfidence = thresholds?["retrieval_confidence"]?.doubleValue ?? retrievalConfidence
        maxMisunderstandings = int(thresholds?["max_misunderstandings"]) ?? maxMisunderstandings
        if let words = json["handover_keywords"]?.arrayValue?.compactMap(\.stringValue), !words.isEmpty { handoverKeywords = words }
        templateApproval = string(json["templates"]?["approval_status"]) ?? templateApproval
        for (key, value) in json["texts"]?.objectValue ?? [:] { if let text = value.stringValue { texts[key] = text } }
        let knowledge = json["knowledge"]
        knowledgeFolder = string(knowledge?["folder"]) ?? knowledgeFolder
        if let files = knowledge?["files"]?.arrayValue?.compactMap(\.stringValue), !files.isEmpty { knowledgeFiles = files }
        if let llm = knowledge?["llm"], let url = string(llm["url"]), let key = string(llm["api_key"]) {
            self.llm = LLMSettings(url: url, apiKey: key, model: string(llm["model"]) ?? "gpt-4o-mini")
        }
        let cal = json["calendar"]
        calendar.slotMinutes = int(cal?["slot_minutes"]) ?? calendar.slotMinutes
        calendar.minLeadHours = int(cal?["min_lead_hours"]) ?? calendar.minLeadHours
        calendar.meetingLink = string(cal?["meeting_link"]) ?? calendar.meetingLink
        calendar.title = string(cal?["title"]) ?? calendar.title
        if let hours = string(cal?["hours"]), let range = Self.minuteRange(hours) {
            (calendar.dayStartMinute, calendar.dayEndMinute) = range
        }
        if let days = cal?["days"]?.arrayValue?.compactMap(\.stringValue) {
            let names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
            calendar.weekdays = Set(days.compactMap { names.firstIndex(of: $0.lowercased()).map { $0 + 1 } })
        }
        crmURL = string(json["crm"]?["url"])
        crmSecret = string(json["crm"]?["secret"])
        crmTimeoutMillis = int(json["crm"]?["timeout_ms"]) ?? crmTimeoutMillis
    }

    /// "09:00-17:00" as minutes since midnight.
    static func minuteRange(_ text: String) -> (from: Int, until: Int)? {
        let minutes = text.split(separator: "-").map { part -> Int? in
            let hm = part.split(separator: ":").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard hm.count == 2, (0...24).contains(hm[0]), (0..<60).contains(hm[1]), hm[0] * 60 + hm[1] <= 1440 else { return nil }
            return hm[0] * 60 + hm[1]
        }
        guard minutes.count == 2, let from = minutes[0], let until = minutes[1], from < until else { return nil }
        return (from, until)
    }
}

import Foundation
import PluginAPI

/// The plugin's `config` block in the tenant manifest, with seed defaults for what it leaves out.
struct TutorBotConfig {
    /// The tutor's name, used in texts and as the assignee of tasks and handed-over conversations.
    var tutorName: String
    /// Where the tutor is notified: a phone number (E.164) on `notifyChannel`.
    var tutorPhone: String?
    var notifyChannel: String
    var timeZone: TimeZone
    var profiles: [String: PlanningProfile]
    var texts: Texts
    /// How many misunderstood messages in a row hand the conversation to the tutor.
    var handoverAfter: Int
    /// How many slots the bot offers.
    var slotsOffered: Int
    /// The calendar event's title and location; `{name}` is the student's first name.
    var lessonTitle: String
    var lessonLocation: String?

    init(config: JSON, tenant: JSON) throws {
        tutorName = config["tutor_name"]?.stringValue ?? "Stephan"
        tutorPhone = config["tutor_phone"]?.stringValue
        notifyChannel = config["notify_channel"]?.stringValue ?? "sandbox"
        let zone = config["calendar"]?["timezone"]?.stringValue ?? tenant["timezone"]?.stringValue ?? "Europe/Amsterdam"
        guard let timeZone = TimeZone(identifier: zone) else { throw PluginError.badArgument("unknown time zone \(zone)") }
        self.timeZone = timeZone
        profiles = try PlanningProfile.resolve(overrides: config["profiles"])
        texts = Texts(overrides: config["texts"])
        handoverAfter = Int(config["handover_after"]?.doubleValue ?? 3)
        slotsOffered = Int(config["slots_offered"]?.doubleValue ?? 3)
        lessonTitle = config["calendar"]?["lesson_title"]?.stringValue ?? "Bijles {name}"
        lessonLocation = config["calendar"]?["location"]?.stringValue
    }

    /// The profile for a segment; an unknown segment plans as `new`.
    func profile(for segment: String) -> (name: String, profile: PlanningProfile) {
        if let profile = profiles[segment] { return (segment, profile) }
        return ("new", profiles["new"]!)
    }
}

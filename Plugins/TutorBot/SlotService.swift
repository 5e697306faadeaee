import Foundation
import PluginAPI

/// `suggest_slots` for one contact: its segment (detected once, then cached on the contact),
/// that segment's profile, busy time from the host calendar, and the conversation's `preferred_times`.
struct SlotService {
    let host: PluginAPI.Host
    let config: TutorBotConfig

    struct Answer {
        var segment: String
        var profile: String
        var planner: SlotPlanner
        var suggestion: SlotSuggestion

        /// The JSON the route returns and the flow stores: start/end in ISO 8601 with offset.
        var slotsJSON: JSON {
            .array(suggestion.slots.map { ["start": .string(planner.iso($0.start)), "end": .string(planner.iso($0.end))] })
        }
    }

    /// Detects the contact's segment and caches it in the `segment` attribute (seed 001).
    func segment(of contact: JSON) throws -> String {
        let (segment, cached) = Segment.detect(contact["attributes"]?.objectValue ?? [:])
        if !cached, let id = contact["id"]?.stringValue {
            try host.updateContact(["id": .string(id), "attributes": ["segment": .string(segment)]])
        }
        return segment
    }

    func suggest(contact: JSON, preferences: String, now: Date, limit: Int) throws -> Answer {
        let segment = try segment(of: contact)
        let (name, profile) = config.profile(for: segment)
        let planner = SlotPlanner(profile: profile, timeZone: config.timeZone)
        let horizon = now.addingTimeInterval(Double(profile.daysAhead + 1) * 86_400)
        let busy = try busyIntervals(from: now.addingTimeInterval(-86_400), to: horizon)
        let suggestion = planner.suggest(now: now, busy: busy, preferences: SlotPreferences(text: preferences), limit: limit)
        return Answer(segment: segment, profile: name, planner: planner, suggestion: suggestion)
    }

    /// The calendar's events (not cancelled) overlapping [from, to).
    func busyIntervals(from: Date, to: Date) throws -> [BusyInterval] {
        let reply = try host.call("calendar.events", ["from": JSON.number(from.millis), "to": JSON.number(to.millis)])
        return (reply["events"]?.arrayValue ?? []).compactMap { event in
            guard let start = event["starts_at"]?.doubleValue, let end = event["ends_at"]?.doubleValue else { return nil }
            return BusyInterval(start: Date(millis: start), end: Date(millis: end))
        }
    }
}

extension Date {
    init(millis: Double) { self.init(timeIntervalSince1970: millis / 1000) }

    /// Epoch milliseconds, as the host API counts time.
    var millis: Double { (timeIntervalSince1970 * 1000).rounded() }
}

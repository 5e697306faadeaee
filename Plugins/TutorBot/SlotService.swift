import Foundation
import PluginAPI

/// `suggest_slots` for one contact: its segment (detected once, then cached on the contact),
/// that segment's profile, busy time from the host calendar (with the tenant's Google Calendar, if any),
/// and the conversation's `preferred_times`.
struct SlotService {
    let host: PluginAPI.Host
    let config: TutorBotConfig

    struct Answer {
        var segment: String
        var profile: String
        var planner: SlotPlanner
        var suggestion: SlotSuggestion
        /// The host's report on the Google Calendar (`{"status": "ok"}` or `{"status": "failed", …}`), when the tenant has one.
        var google: JSON?

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
        let busy = try busyTime(from: now.addingTimeInterval(-86_400), to: horizon)
        let suggestion = planner.suggest(now: now, busy: busy.intervals, preferences: SlotPreferences(text: preferences), limit: limit)
        return Answer(segment: segment, profile: name, planner: planner, suggestion: suggestion, google: busy.google)
    }

    /// Whether a slot offered earlier is still free for this contact's profile: nothing was booked into it since,
    /// and it still clears the lead time.
    func isStillFree(_ slot: Slot, contact: JSON, now: Date) throws -> Bool {
        let (_, profile) = config.profile(for: try segment(of: contact))
        let planner = SlotPlanner(profile: profile, timeZone: config.timeZone)
        let margin = Double(max(profile.bufferBeforeMin, profile.bufferAfterMin)) * 60
        let busy = try busyTime(from: slot.start.addingTimeInterval(-margin), to: slot.end.addingTimeInterval(margin))
        return planner.isStillFree(slot.start, now: now, busy: busy.intervals)
    }

    /// The busy intervals overlapping [from, to): the host calendar's events, and the Google Calendar's busy time
    /// with the host's report on it.
    func busyTime(from: Date, to: Date) throws -> (intervals: [BusyInterval], google: JSON?) {
        let reply = try host.call("calendar.busy", ["from": JSON.number(from.millis), "to": JSON.number(to.millis)])
        let intervals: [BusyInterval] = (reply["busy"]?.arrayValue ?? []).compactMap { interval in
            guard let start = interval["starts_at"]?.doubleValue, let end = interval["ends_at"]?.doubleValue else { return nil }
            return BusyInterval(start: Date(millis: start), end: Date(millis: end))
        }
        return (intervals, reply["google"])
    }
}

extension Date {
    init(millis: Double) { self.init(timeIntervalSince1970: millis / 1000) }

    /// Epoch milliseconds, as the host API counts time.
    var millis: Double { (timeIntervalSince1970 * 1000).rounded() }
}

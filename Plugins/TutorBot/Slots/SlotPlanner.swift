import Foundation

/// A busy interval [start, end) from the calendar.
struct BusyInterval: Equatable, Sendable {
    var start: Date
    var end: Date
}

/// A proposed lesson.
struct Slot: Equatable, Sendable {
    var start: Date
    var end: Date
}

/// What `suggest_slots` found: the slots, and whether they honour the preferences
/// (false when none fitted and the nearest slots without them are offered instead).
struct SlotSuggestion: Equatable, Sendable {
    var slots: [Slot]
    var matchedPreferences: Bool
}

/// `suggest_slots` (issue 5): wall-clock rules in the tenant's IANA time zone, so DST is the calendar's business.
struct SlotPlanner: Sendable {
    var profile: PlanningProfile
    var timeZone: TimeZone

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// The free slots from `now`, sorted by start, at most `limit`; with preferences that nothing fits,
    /// the nearest slots without them.
    func suggest(now: Date, busy: [BusyInterval], preferences: SlotPreferences, limit: Int) -> SlotSuggestion {
        let free = freeSlots(now: now, busy: busy)
        let preferred = free.filter { preferences.accepts(weekday: $0.weekday, minute: $0.minute) }
        if preferences.isEmpty || !preferred.isEmpty {
            return SlotSuggestion(slots: preferred.prefix(max(limit, 0)).map { $0.slot }, matchedPreferences: true)
        }
        return SlotSuggestion(slots: free.prefix(max(limit, 0)).map { $0.slot }, matchedPreferences: false)
    }

    /// Every slot the profile allows that clears the lead time and the busy intervals (with buffers), in start order.
    func freeSlots(now: Date, busy: [BusyInterval]) -> [(slot: Slot, weekday: Int, minute: Int)] {
        let calendar = calendar
        let today = calendar.startOfDay(for: now)
        let earliestStart = now.addingTimeInterval(Double(profile.minLeadMinutes) * 60)
        let duration = Double(profile.durationMinutes) * 60
        var result: [(slot: Slot, weekday: Int, minute: Int)] = []
        for offset in 0..<max(profile.daysAhead, 0) {
            guard let day = calendar.date(byAdding: .day, value: offset, to: today) else { continue }
            let weekday = (calendar.component(.weekday, from: day) + 5) % 7
            guard profile.allows(weekday: weekday) else { continue }
            var date = calendar.dateComponents([.year, .month, .day], from: day)
            var minute = profile.earliestHour * 60
            while minute <= profile.latestHour * 60 {
                defer { minute += profile.slotStepMinutes }
                date.hour = minute / 60
                date.minute = minute % 60
                guard let start = calendar.date(from: date), start >= earliestStart, clears(start, busy: busy) else { continue }
                result.append((Slot(start: start, end: start.addingTimeInterval(duration)), weekday, minute))
            }
        }
        return result
    }

    /// Whether a lesson starting at `start`, with its buffers [start − before, end + after), overlaps no busy interval.
    func clears(_ start: Date, busy: [BusyInterval]) -> Bool {
        let blockStart = start.addingTimeInterval(-Double(profile.bufferBeforeMin) * 60)
        let blockEnd = start.addingTimeInterval(Double(profile.durationMinutes + profile.bufferAfterMin) * 60)
        return !busy.contains { blockStart < $0.end && blockEnd > $0.start }
    }

    /// Whether a slot offered earlier can still be booked at `now`: it clears the lead time and the busy time.
    func isStillFree(_ start: Date, now: Date, busy: [BusyInterval]) -> Bool {
        start >= now.addingTimeInterval(Double(profile.minLeadMinutes) * 60) && clears(start, busy: busy)
    }

    /// ISO 8601 with the tenant offset of that instant, e.g. `2026-03-30T10:00:00+02:00`.
    func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

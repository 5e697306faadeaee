import PluginAPI

/// The scheduling rules of one customer segment (seed 001's `PLANNING_PROFILES`).
/// Weekdays count Monday = 0 … Sunday = 6; `latestHour` is the latest *start*.
struct PlanningProfile: Codable, Equatable, Sendable {
    var durationMinutes: Int
    var earliestHour: Int
    var latestHour: Int
    var minLeadMinutes: Int
    var bufferBeforeMin: Int
    var bufferAfterMin: Int
    var daysAhead: Int
    var slotStepMinutes: Int
    var excludeWeekends: Bool
    var allowedWeekdays: [Int]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case durationMinutes = "duration_minutes", earliestHour = "earliest_hour", latestHour = "latest_hour"
        case minLeadMinutes = "min_lead_minutes", bufferBeforeMin = "buffer_before_min", bufferAfterMin = "buffer_after_min"
        case daysAhead = "days_ahead", slotStepMinutes = "slot_step_minutes", excludeWeekends = "exclude_weekends"
        case allowedWeekdays = "allowed_weekdays"
    }

    /// Seed 001's profiles. Its `returning_broadcast` gives only the duration, so the rest follows `existing`.
    static let defaults: [String: PlanningProfile] = [
        "new": PlanningProfile(
            durationMinutes: 60, earliestHour: 10, latestHour: 20, minLeadMinutes: 720, bufferBeforeMin: 15, bufferAfterMin: 15,
            daysAhead: 10, slotStepMinutes: 30, excludeWeekends: true),
        "existing": PlanningProfile(
            durationMinutes: 60, earliestHour: 9, latestHour: 21, minLeadMinutes: 360, bufferBeforeMin: 10, bufferAfterMin: 10,
            daysAhead: 14, slotStepMinutes: 30, excludeWeekends: true),
        "returning_broadcast": PlanningProfile(
            durationMinutes: 60, earliestHour: 9, latestHour: 21, minLeadMinutes: 360, bufferBeforeMin: 10, bufferAfterMin: 10,
            daysAhead: 14, slotStepMinutes: 30, excludeWeekends: true),
        "weekend": PlanningProfile(
            durationMinutes: 60, earliestHour: 10, latestHour: 18, minLeadMinutes: 180, bufferBeforeMin: 10, bufferAfterMin: 10,
            daysAhead: 7, slotStepMinutes: 30, excludeWeekends: false, allowedWeekdays: [5, 6]),
        "premium": PlanningProfile(
            durationMinutes: 90, earliestHour: 8, latestHour: 22, minLeadMinutes: 240, bufferBeforeMin: 20, bufferAfterMin: 20,
            daysAhead: 21, slotStepMinutes: 30, excludeWeekends: false),
    ]

    /// The default profiles with the manifest's `profiles` block laid over them: a known profile takes
    /// the given keys, a new one starts from `new`.
    static func resolve(overrides: JSON?) throws -> [String: PlanningProfile] {
        var profiles = defaults
        for (name, override) in overrides?.objectValue ?? [:] {
            guard let keys = override.objectValue else { throw PluginError.badArgument("profiles.\(name) must be a mapping") }
            let base = profiles[name] ?? defaults["new"]!
            guard case .object(var merged) = try JSON(encoding: base) else { continue }
            for (key, value) in keys {
                guard CodingKeys(rawValue: key) != nil else { throw PluginError.badArgument("profiles.\(name).\(key) is not a profile setting") }
                merged[key] = value
            }
            let profile = try JSON.object(merged).decode(as: PlanningProfile.self)
            try profile.validate(name)
            profiles[name] = profile
        }
        return profiles
    }

    /// Rejects settings that could never yield a slot or would loop forever.
    func validate(_ name: String) throws {
        guard durationMinutes > 0, slotStepMinutes > 0, (0...366).contains(daysAhead), minLeadMinutes >= 0,
            bufferBeforeMin >= 0, bufferAfterMin >= 0, (0...23).contains(earliestHour), (0...24).contains(latestHour),
            (allowedWeekdays ?? []).allSatisfy({ (0...6).contains($0) })
        else { throw PluginError.badArgument("profiles.\(name) has a setting out of range") }
    }

    /// Whether a weekday (Monday = 0) may hold a lesson.
    func allows(weekday: Int) -> Bool {
        if let allowedWeekdays { return allowedWeekdays.contains(weekday) }
        return !excludeWeekends || weekday < 5
    }
}

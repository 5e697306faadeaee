import Foundation
import PluginAPI
import Testing

@testable import TutorBot

/// `suggest_slots` against hand-counted calendars in Europe/Amsterdam.
@Suite("suggest_slots")
struct SlotPlannerTests {
    static let amsterdam = TimeZone(identifier: "Europe/Amsterdam")!

    /// A local wall-clock time in Amsterdam.
    static func local(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = amsterdam
        return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }

    static func planner(_ name: String) -> SlotPlanner {
        SlotPlanner(profile: PlanningProfile.defaults[name]!, timeZone: amsterdam)
    }

    static func starts(_ planner: SlotPlanner, now: Date, busy: [BusyInterval] = [], preferences: String = "", limit: Int = 10_000) -> [String] {
        planner.suggest(now: now, busy: busy, preferences: SlotPreferences(text: preferences), limit: limit).slots.map { planner.iso($0.start) }
    }

    // Monday 2 March 2026, 08:00 local (CET, +01:00).
    static let monday = local(2026, 3, 2, 8)

    @Test("new: weekdays 10:00–20:00 every 30 minutes, 12 hours' notice, 10 days")
    func newProfile() {
        let slots = Self.starts(Self.planner("new"), now: Self.monday)
        // Monday keeps only 20:00 (now + 12 h); then 7 more weekdays of 21 starts each.
        #expect(slots.count == 1 + 7 * 21)
        #expect(slots.first == "2026-03-02T20:00:00+01:00")
        #expect(slots.last == "2026-03-11T20:00:00+01:00")
        #expect(!slots.contains { $0.hasPrefix("2026-03-07") || $0.hasPrefix("2026-03-08") }, "no weekend")
        #expect(!slots.contains { $0.hasPrefix("2026-03-12") }, "days_ahead 10 ends on the 11th")
    }

    @Test("existing: weekdays 09:00–21:00, 6 hours' notice, 14 days")
    func existingProfile() {
        let slots = Self.starts(Self.planner("existing"), now: Self.monday)
        // Monday from 14:00 (15 starts to 21:00), then 9 weekdays of 25 starts (3–6, 9–13, 16).
        #expect(slots.first == "2026-03-02T14:00:00+01:00")
        #expect(slots.count == 15 + 9 * 25)
        #expect(slots.last == "2026-03-13T21:00:00+01:00")
        #expect(Self.starts(Self.planner("returning_broadcast"), now: Self.monday) == slots)
    }

    @Test("weekend: only Saturday and Sunday, 10:00–18:00, 7 days")
    func weekendProfile() {
        let slots = Self.starts(Self.planner("weekend"), now: Self.monday)
        #expect(slots.count == 2 * 17)
        #expect(slots.allSatisfy { $0.hasPrefix("2026-03-07") || $0.hasPrefix("2026-03-08") })
        #expect(slots.first == "2026-03-07T10:00:00+01:00" && slots.last == "2026-03-08T18:00:00+01:00")
    }

    @Test("premium: 90-minute lessons 08:00–22:00 every day for 21 days")
    func premiumProfile() {
        let planner = Self.planner("premium")
        let suggestion = planner.suggest(now: Self.monday, busy: [], preferences: SlotPreferences(), limit: 10_000)
        // Monday from 12:00 (now + 4 h): 21 starts; then 20 days of 29.
        #expect(suggestion.slots.count == 21 + 20 * 29)
        #expect(suggestion.slots.contains { planner.iso($0.start).hasPrefix("2026-03-08") }, "weekends included")
        let first = suggestion.slots[0]
        #expect(planner.iso(first.start) == "2026-03-02T12:00:00+01:00" && planner.iso(first.end) == "2026-03-02T13:30:00+01:00")
    }

    @Test("manifest overrides merge into a profile, and a custom profile starts from new")
    func overrides() throws {
        let profiles = try PlanningProfile.resolve(overrides: [
            "new": ["days_ahead": 3, "latest_hour": 12],
            "custom": ["duration_minutes": 45, "earliest_hour": 9, "latest_hour": 17],
        ])
        #expect(profiles["new"]?.daysAhead == 3 && profiles["new"]?.latestHour == 12 && profiles["new"]?.earliestHour == 10)
        let custom = try #require(profiles["custom"])
        #expect(custom.durationMinutes == 45 && custom.earliestHour == 9 && custom.latestHour == 17 && custom.minLeadMinutes == 720)
        #expect(profiles["premium"] == PlanningProfile.defaults["premium"])
        #expect(throws: PluginError.self) { try PlanningProfile.resolve(overrides: ["new": ["durationMinutes": 30]]) }
        #expect(throws: PluginError.self) { try PlanningProfile.resolve(overrides: ["new": ["slot_step_minutes": 0]]) }
        #expect(throws: PluginError.self, "a year is the furthest a search looks") {
            try PlanningProfile.resolve(overrides: ["new": ["days_ahead": 100_000_000]])
        }
        #expect(try PlanningProfile.resolve(overrides: ["new": ["days_ahead": 366]])["new"]?.daysAhead == 366)
    }

    @Test("the lead time keeps a start exactly at now + min_lead_minutes, and drops one a minute earlier")
    func leadTime() {
        let planner = Self.planner("existing")
        #expect(Self.starts(planner, now: Self.local(2026, 3, 2, 3), limit: 1) == ["2026-03-02T09:00:00+01:00"])
        #expect(Self.starts(planner, now: Self.local(2026, 3, 2, 3, 1), limit: 1) == ["2026-03-02T09:30:00+01:00"])
    }

    @Test("a busy interval blocks every slot whose buffered span [start − before, end + after) overlaps it")
    func buffers() {
        let planner = Self.planner("existing")
        let busy = [BusyInterval(start: Self.local(2026, 3, 3, 12), end: Self.local(2026, 3, 3, 13))]
        let tuesday = Self.starts(planner, now: Self.monday, busy: busy).filter { $0.hasPrefix("2026-03-03") }
        for blocked in ["11:00", "11:30", "12:00", "12:30", "13:00"] {
            #expect(!tuesday.contains("2026-03-03T\(blocked):00+01:00"), "\(blocked) overlaps the buffered lesson")
        }
        // 10:30 ends 11:30 + 10 min buffer ≤ 12:00; 13:30 − 10 min ≥ 13:00: both touch, neither overlaps.
        #expect(tuesday.contains("2026-03-03T10:30:00+01:00") && tuesday.contains("2026-03-03T13:30:00+01:00"))
        #expect(tuesday.count == 25 - 5)
    }

    @Test("allowed_weekdays wins over exclude_weekends; exclude_weekends keeps Monday–Friday; neither keeps every day")
    func weekdayRules() {
        var profile = PlanningProfile.defaults["existing"]!
        profile.allowedWeekdays = [2]
        let wednesdays = Self.starts(SlotPlanner(profile: profile, timeZone: Self.amsterdam), now: Self.monday)
        #expect(Set(wednesdays.map { String($0.prefix(10)) }) == ["2026-03-04", "2026-03-11"])
        profile.allowedWeekdays = nil
        profile.excludeWeekends = false
        let every = Set(Self.starts(SlotPlanner(profile: profile, timeZone: Self.amsterdam), now: Self.monday).map { String($0.prefix(10)) })
        #expect(every.count == 14)
    }

    @Test("each day word restricts the day", arguments: [
        ("maandag", "2026-03-02"), ("dinsdag", "2026-03-03"), ("woensdag", "2026-03-04"), ("donderdag", "2026-03-05"),
        ("vrijdag", "2026-03-06"), ("zaterdag", "2026-03-07"), ("zondag", "2026-03-08"),
        ("Monday", "2026-03-02"), ("tuesday", "2026-03-03"), ("WEDNESDAY", "2026-03-04"), ("thursday", "2026-03-05"),
        ("friday", "2026-03-06"), ("saturday", "2026-03-07"), ("sunday", "2026-03-08"),
    ])
    func dayWords(word: String, firstDate: String) {
        // Premium covers all seven days; now is Monday 08:00 with 4 h lead, so Monday the 2nd still has afternoon starts.
        let slots = Self.starts(Self.planner("premium"), now: Self.monday, preferences: "liefst \(word) graag")
        #expect(slots.first?.hasPrefix(firstDate) == true)
        let weekdays = Set(slots.map { Self.weekday($0) })
        #expect(weekdays.count == 1)
    }

    @Test("each part-of-day word restricts the start", arguments: [
        ("ochtend", "08:00", "11:30"), ("morning", "08:00", "11:30"), ("middag", "12:00", "16:30"),
        ("afternoon", "12:00", "16:30"), ("avond", "17:00", "22:00"), ("Evening", "17:00", "22:00"),
    ])
    func partWords(word: String, earliest: String, latest: String) {
        let slots = Self.starts(Self.planner("premium"), now: Self.local(2026, 3, 1, 0), preferences: word)
        let times = Set(slots.map { Self.time($0) })
        #expect(times.min() == earliest && times.max() == latest)
    }

    @Test("a compound word is a day and a part of the day; several words give unions")
    func compoundAndUnions() {
        let sundayMorning = Self.starts(Self.planner("premium"), now: Self.monday, preferences: "zondagochtend")
        #expect(sundayMorning.first == "2026-03-08T08:00:00+01:00")
        #expect(sundayMorning.allSatisfy { Self.weekday($0) == 6 && Self.time($0) < "12:00" })
        #expect(sundayMorning.count == 3 * 8)

        let union = Self.starts(Self.planner("premium"), now: Self.monday, preferences: "dinsdag of donderdag, ochtend of avond")
        #expect(Set(union.map { Self.weekday($0) }) == [1, 3])
        #expect(union.allSatisfy { Self.time($0) < "12:00" || Self.time($0) >= "17:00" })
        #expect(union.contains { Self.time($0) < "12:00" } && union.contains { Self.time($0) >= "17:00" })
    }

    @Test("when nothing fits the preferences, the nearest slots without them are offered")
    func fallback() {
        let planner = Self.planner("weekend")
        let suggestion = planner.suggest(now: Self.monday, busy: [], preferences: SlotPreferences(text: "maandagavond"), limit: 3)
        #expect(!suggestion.matchedPreferences)
        #expect(suggestion.slots.map { planner.iso($0.start) } == [
            "2026-03-07T10:00:00+01:00", "2026-03-07T10:30:00+01:00", "2026-03-07T11:00:00+01:00",
        ])
        #expect(planner.suggest(now: Self.monday, busy: [], preferences: SlotPreferences(text: "zaterdag"), limit: 3).matchedPreferences)
    }

    @Test("a week across the spring DST change keeps wall-clock starts and switches the offset")
    func springForward() throws {
        let planner = Self.planner("premium")
        let slots = planner.suggest(now: Self.local(2026, 3, 27, 0), busy: [], preferences: SlotPreferences(text: "ochtend"), limit: 10_000).slots
        let saturday = try #require(slots.first { planner.iso($0.start) == "2026-03-28T10:00:00+01:00" })
        let sunday = try #require(slots.first { planner.iso($0.start) == "2026-03-29T10:00:00+02:00" })
        #expect(sunday.start.timeIntervalSince(saturday.start) == 23 * 3600, "the night of 29 March is an hour short")
        // Every local date still has 8 morning starts, the first at 08:00 local.
        let byDay = Dictionary(grouping: slots.map { planner.iso($0.start) }) { String($0.prefix(10)) }
        #expect(byDay.values.allSatisfy { $0.count == 8 && $0.sorted().first!.contains("T08:00:00") })
        #expect(slots.map { planner.iso($0.start) }.contains("2026-03-30T08:00:00+02:00"))
    }

    @Test("a week across the autumn DST change, with a busy lesson given in UTC")
    func fallBack() {
        let planner = Self.planner("premium")
        // Sunday 25 October 2026: 10:00 local is 09:00Z after the change (it was 08:00Z the day before).
        let busy = [BusyInterval(start: Date(timeIntervalSince1970: 1_792_918_800), end: Date(timeIntervalSince1970: 1_792_922_400))]
        #expect(planner.iso(busy[0].start) == "2026-10-25T10:00:00+01:00")
        let sunday = Self.starts(planner, now: Self.local(2026, 10, 22, 0), busy: busy).filter { $0.hasPrefix("2026-10-25") }
        #expect(sunday.count == 29 - 6, "08:30 to 11:00 clash with 10:00–11:00 plus 20-minute buffers")
        #expect(!sunday.contains("2026-10-25T10:00:00+01:00") && sunday.contains("2026-10-25T11:30:00+01:00"))
        let saturday = Self.starts(planner, now: Self.local(2026, 10, 22, 0)).filter { $0.hasPrefix("2026-10-24") }
        #expect(saturday.first == "2026-10-24T08:00:00+02:00")
    }

    @Test("an offered slot is re-checked before booking: still free, then past the lead time, then taken")
    func recheck() {
        let planner = Self.planner("existing")
        let start = Self.local(2026, 3, 2, 14)
        #expect(planner.isStillFree(start, now: Self.monday, busy: []))
        #expect(!planner.isStillFree(start, now: Self.local(2026, 3, 2, 8, 1), busy: []), "six hours' notice no longer holds")
        let other = BusyInterval(start: Self.local(2026, 3, 2, 15, 5), end: Self.local(2026, 3, 2, 16))
        #expect(!planner.isStillFree(start, now: Self.monday, busy: [other]), "15:05 falls in 14:00–15:00 plus the 10-minute buffer")
        let later = BusyInterval(start: Self.local(2026, 3, 2, 15, 10), end: Self.local(2026, 3, 2, 16))
        #expect(planner.isStillFree(start, now: Self.monday, busy: [later]))
    }

    @Test("limit caps the sorted output")
    func limit() {
        let slots = Self.starts(Self.planner("new"), now: Self.monday, limit: 3)
        #expect(slots == ["2026-03-02T20:00:00+01:00", "2026-03-03T10:00:00+01:00", "2026-03-03T10:30:00+01:00"])
        #expect(Self.starts(Self.planner("new"), now: Self.monday, limit: 0).isEmpty)
    }

    /// The weekday (Monday = 0) of an ISO start.
    static func weekday(_ iso: String) -> Int {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = amsterdam
        let date = ISO8601DateFormatter().date(from: iso)!
        return (calendar.component(.weekday, from: date) + 5) % 7
    }

    /// The local `HH:mm` of an ISO start.
    static func time(_ iso: String) -> String { String(iso.dropFirst(11).prefix(5)) }
}

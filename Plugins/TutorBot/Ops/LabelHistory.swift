import Foundation
import PluginAPI

/// Label counts over time: a daily job stores the day's counts of seed 000's labels, so the dashboard can
/// draw them as lines. Each day's job schedules the next one under that day's unique key.
struct LabelHistory {
    static let jobKind = "analytics.label_snapshot"
    static let collection = "label_snapshots"

    let host: PluginAPI.Host
    let timeZone: TimeZone

    /// Makes sure the next snapshot job exists: today's when today has no stored counts yet, else tomorrow's.
    /// Scheduling is a no-op while that day's job is pending, so an instance restart neither doubles the job
    /// nor replaces the counts taken after midnight with later ones.
    func scheduleNext() throws {
        let now = host.now
        if try host.get(Self.collection, day(now), as: JSON.self) == nil {
            _ = try host.scheduleJob(kind: Self.jobKind, runAt: now, uniqueKey: "label-snapshot-\(day(now))")
        } else {
            try scheduleTomorrow(after: now)
        }
    }

    /// Stores today's counts and schedules tomorrow's snapshot for shortly after local midnight.
    func snapshot() throws {
        let now = host.now
        try host.put(Self.collection, day(now), try Analytics(host: host).labelCounts())
        try scheduleTomorrow(after: now)
    }

    /// Schedules the snapshot for five minutes past the next local midnight.
    private func scheduleTomorrow(after now: Date) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let tomorrow = calendar.date(byAdding: DateComponents(day: 1, minute: 5), to: calendar.startOfDay(for: now)) ?? now.addingTimeInterval(86_400)
        _ = try host.scheduleJob(kind: Self.jobKind, runAt: tomorrow, uniqueKey: "label-snapshot-\(day(tomorrow))")
    }

    /// The stored days (oldest first, at most `limit`) with their counts per label.
    func series(limit: Int = 60) throws -> [(day: String, counts: JSON)] {
        var rows: [(String, JSON)] = [], after: String?
        repeat {
            let page = try host.query(Self.collection, as: JSON.self, after: after, limit: 500)
            rows += page.records.map { ($0.key, $0.value) }
            after = page.next
        } while after != nil
        return Array(rows.sorted { $0.0 < $1.0 }.suffix(limit))
    }

    /// `yyyy-MM-dd` in the tenant's time zone.
    func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}

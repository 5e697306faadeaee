import Foundation

/// The tenant's business-time calendar: several opening periods per weekday, holidays, a timezone.
/// SLA clocks only run inside its periods.
struct BusinessCalendar: Sendable {
    /// Opening periods per weekday (1 = Sunday … 7 = Saturday), in minutes since midnight.
    var periods: [Int: [Range<Int>]]
    /// Closed days as `yyyy-MM-dd` in the calendar's timezone.
    var holidays: Set<String>
    var timeZone: TimeZone

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    /// The periods open on the day of `date` (none on a holiday), as absolute intervals.
    private func openIntervals(onDayOf date: Date) -> [DateInterval] {
        let calendar = calendar
        let day = calendar.startOfDay(for: date)
        let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
        let key = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        guard !holidays.contains(key) else { return [] }
        return (periods[parts.weekday ?? 0] ?? []).compactMap { range in
            guard let start = calendar.date(byAdding: .minute, value: range.lowerBound, to: day),
                let end = calendar.date(byAdding: .minute, value: range.upperBound, to: day)
            else { return nil }
            return DateInterval(start: start, end: end)
        }
    }

    /// Whether `date` falls inside an opening period.
    func isOpen(at date: Date) -> Bool {
        openIntervals(onDayOf: date).contains { $0.start <= date && date < $0.end }
    }

    /// The instant `seconds` of business time after `start` (searching at most a year ahead).
    func adding(_ seconds: TimeInterval, to start: Date) -> Date {
        var remaining = seconds
        var day = start
        for _ in 0..<370 {
            for interval in openIntervals(onDayOf: day) where interval.end > start {
                let from = max(interval.start, start)
                let available = interval.end.timeIntervalSince(from)
                if remaining <= available { return from.addingTimeInterval(remaining) }
                remaining -= available
            }
            day = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: day)) ?? day.addingTimeInterval(86_400)
        }
        return start.addingTimeInterval(seconds)
    }

    /// The business time between two instants (zero when `end` is not after `start`).
    func businessSeconds(from start: Date, to end: Date) -> TimeInterval {
        guard end > start else { return 0 }
        var total: TimeInterval = 0
        var day = start
        while day < end {
            for interval in openIntervals(onDayOf: day) {
                let from = max(interval.start, start), until = min(interval.end, end)
                if until > from { total += until.timeIntervalSince(from) }
            }
            day = calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: day)) ?? end
        }
        return total
    }
}

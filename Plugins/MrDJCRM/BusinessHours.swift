import Foundation
import PluginAPI

/// Opening hours for the SLA clocks: the same window on each listed weekday, in the tenant's timezone.
struct BusinessHours {
    /// Weekdays, 1 = Sunday … 7 = Saturday.
    var weekdays: Set<Int> = [2, 3, 4, 5, 6]
    var openMinute = 9 * 60
    var closeMinute = 17 * 60 + 30

    init() {}

    /// `{days: [mon, …], hours: "09:00-17:30"}`.
    init(_ json: JSON) {
        let names = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        if let days = json["days"]?.arrayValue?.compactMap(\.stringValue) {
            weekdays = Set(days.compactMap { names.firstIndex(of: $0.lowercased()).map { $0 + 1 } })
        }
        let bounds = (json["hours"]?.stringValue ?? "").split(separator: "-").map { part in
            part.split(separator: ":").compactMap { Int($0) }.reduce(0) { $0 * 60 + $1 }
        }
        if bounds.count == 2, bounds[0] < bounds[1] { (openMinute, closeMinute) = (bounds[0], bounds[1]) }
    }

    /// The moment `minutes` of business time after `start`; with 0, the first business moment at or after it.
    func adding(minutes: Int, to start: Date, in timezone: TimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        var remaining = minutes
        var cursor = start
        for _ in 0..<400 {
            let day = calendar.startOfDay(for: cursor)
            if weekdays.contains(calendar.component(.weekday, from: day)) {
                let open = day.addingTimeInterval(Double(openMinute * 60)), close = day.addingTimeInterval(Double(closeMinute * 60))
                let from = max(cursor, open)
                if from < close {
                    let available = Int(close.timeIntervalSince(from) / 60)
                    if remaining <= available { return from.addingTimeInterval(Double(remaining * 60)) }
                    remaining -= available
                }
            }
            cursor = calendar.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
        }
        return cursor
    }
}

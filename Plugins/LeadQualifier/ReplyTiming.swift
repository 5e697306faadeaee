import Foundation
import PluginAPI

extension LeadQualifierPlugin {
    /// When a bot reply goes out (seed 002 §7): `reply_delay_seconds` from now, and only within `reply_hours`
    /// (07:00–23:00 tenant time); a reply that would fall outside them waits for the next opening.
    func replyTime() -> Int64 {
        let due = nowMillis + Int64(config.replyDelaySeconds) * 1000
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        let date = Date(timeIntervalSince1970: Double(due) / 1000)
        let parts = calendar.dateComponents([.hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let (from, until) = config.replyHours
        if (from..<until).contains(minute) { return due }
        let today = calendar.startOfDay(for: date)
        let day = minute < from ? today : calendar.date(byAdding: .day, value: 1, to: today) ?? today
        let opening = calendar.date(byAdding: .minute, value: from, to: day) ?? date
        return Int64(opening.timeIntervalSince1970 * 1000)
    }
}

import Foundation
import PluginAPI

/// The console's TutorBot dashboard: label counts over time, conversations by label and the bot's performance.
struct Dashboard {
    static let route = Route("GET", "/console/app/tutorbot/dashboard", permission: "analytics:read", nav: "Bot analytics")

    let host: PluginAPI.Host
    let history: LabelHistory

    func page() throws -> HTTPResponse {
        let analytics = Analytics(host: host)
        var days = try history.series()
        let today = history.day(host.now)
        if days.last?.day != today { days.append((today, try analytics.labelCounts())) }
        let lines = Analytics.labels.map { label in SVGChart.Series(label, days.map { $0.counts[label]?.doubleValue ?? 0 }) }
        let byLabel = (try analytics.conversationsByLabel().objectValue ?? [:]).sorted { $0.key < $1.key }.map { SVGChart.Bar($0.key, $0.value.doubleValue ?? 0) }
        let performance = try analytics.botPerformance()
        let median = performance["median_response_ms"]?.doubleValue.map { String(format: "%.1f s", $0 / 1000) } ?? "—"
        var html = "<h1>Bot analytics</h1><p>Median response time <strong>\(median)</strong> · "
            + "\(Int(performance["conversations"]?.doubleValue ?? 0)) conversations · \(Int(performance["handovers"]?.doubleValue ?? 0)) handovers to the tutor.</p><div class=\"grid\">"
        html += SVGChart.lines(title: "Contacts per label, by day", labels: days.map { String($0.day.suffix(5)) }, lines)
        html += SVGChart.bars(title: "Conversations by label", byLabel)
        return .page(title: "Bot analytics", html: html + "</div>")
    }
}

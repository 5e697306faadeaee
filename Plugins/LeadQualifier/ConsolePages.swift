import Foundation
import PluginAPI

/// The KPI dashboard in the console: seed 002 §11's rates and the lead funnel as SVG charts.
extension LeadQualifierPlugin {
    static let consoleRoutes = [Route("GET", "/console/app/leadqualifier/dashboard", permission: "analytics:read", nav: "KPIs")]

    func dashboard(_ request: HTTPRequest) throws -> HTTPResponse {
        let days = min(max(Int(request.query["days"] ?? "") ?? 90, 1), 3650)
        let from = nowMillis - Int64(days) * 86_400_000
        let leads = try leads(optedInFrom: from, to: .max)
        let figures = Self.kpis(leads)
        let counts = figures["counts"]
        func count(_ key: String) -> Double { counts?[key]?.doubleValue ?? 0 }
        let funnel = [
            SVGChart.Bar("Opt-ins", Double(leads.count)), SVGChart.Bar("First contact sent", count("first_contacts")),
            SVGChart.Bar("Replied", count("replies")), SVGChart.Bar("Qualified", count("qualified")),
            SVGChart.Bar("Booked", count("booked")), SVGChart.Bar("Attended", count("attended")),
        ]
        let rates = [("Reply rate", "reply_rate"), ("Qualification rate", "qualification_rate"), ("Booking rate", "booking_rate"),
                     ("Show-up rate", "show_up_rate"), ("Opt-out rate", "opt_out_rate")].map { label, key in
            SVGChart.Bar(label, (figures[key]?.doubleValue ?? 0) * 100)
        }
        let median = figures["median_time_to_first_response_ms"]?.doubleValue.map { String(format: "%.0f s", $0 / 1000) } ?? "—"
        var html = "<h1>Lead KPIs</h1><nav class=\"filters\" aria-label=\"Period\">"
        for option in [7, 30, 90, 365] {
            html += "<a href=\"/console/app/leadqualifier/dashboard?days=\(option)\"\(option == days ? " class=\"active\" aria-current=\"page\"" : "")>\(option) days</a>"
        }
        html += "</nav><p>Median time to first response: <strong>\(median)</strong> over \(leads.count) leads.</p><div class=\"grid\">"
        html += SVGChart.bars(title: "Funnel (leads)", funnel)
        html += SVGChart.bars(title: "KPIs (%)", rates, format: { String(format: "%.0f %%", $0) })
        return .page(title: "Lead KPIs", html: html + "</div>")
    }
}

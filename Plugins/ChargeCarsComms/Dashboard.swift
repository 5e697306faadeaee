import Foundation
import PluginAPI

/// The console's SLA dashboard (`/console/app/communication/dashboard`): SLA compliance per channel and
/// per team, the median first response per channel and the escalation rate, as SVG charts over `analytics`.
extension ChargeCarsCommsPlugin {
    static let consoleRoutes = [
        Route("GET", "/console/app/communication/dashboard", permission: "analytics:read", nav: "SLA dashboard"),
    ]

    func consolePage(_ request: HTTPRequest) throws -> HTTPResponse {
        switch (request.method, request.route) {
        case ("GET", "/console/app/communication/dashboard"): return try dashboard(request.query)
        default: throw PluginError.notFound("no console page \(request.path)")
        }
    }

    /// The charts over the analytics of `from`–`to` (epoch ms, optional).
    private func dashboard(_ query: [String: String]) throws -> HTTPResponse {
        let figures = try analytics(query)
        let overall = figures["overall"]
        let percent: (Double) -> String = { String(format: "%.0f %%", $0) }
        var html = "<h1>SLA dashboard</h1><p>\(overall?["threads"]?.doubleValue.map { String(Int($0)) } ?? "0") threads; "
            + "SLA compliance \(Self.percentText(overall?["sla_compliance_rate"])), "
            + "median first response \(Self.minutesText(overall?["first_response_median_minutes"])), "
            + "escalation rate \(Self.percentText(overall?["escalation_rate"])).</p><div class=\"grid\">"
        html += SVGChart.bars(title: "SLA compliance per channel (%)", Self.bars(figures["by_channel"], "sla_compliance_rate", scale: 100), format: percent)
        html += SVGChart.bars(title: "SLA compliance per team (%)", Self.bars(figures["by_team"], "sla_compliance_rate", scale: 100), format: percent)
        html += SVGChart.bars(
            title: "Median first response per channel (min)", Self.bars(figures["by_channel"], "first_response_median_minutes", scale: 1),
            format: { String(format: "%.0f min", $0) })
        html += SVGChart.bars(title: "Escalation rate per channel (%)", Self.bars(figures["by_channel"], "escalation_rate", scale: 100), format: percent)
        html += SVGChart.bars(title: "Escalation rate per team (%)", Self.bars(figures["by_team"], "escalation_rate", scale: 100), format: percent)
        return .page(title: "SLA dashboard", html: html + "</div>")
    }

    /// One bar per group (by name) with a figure, leaving out the groups without one.
    private static func bars(_ groups: JSON?, _ figure: String, scale: Double) -> [SVGChart.Bar] {
        (groups?.objectValue ?? [:]).sorted { $0.key < $1.key }.compactMap { name, values in
            values[figure]?.doubleValue.map { SVGChart.Bar(name, $0 * scale) }
        }
    }

    private static func percentText(_ value: JSON?) -> String { value?.doubleValue.map { String(format: "%.0f %%", $0 * 100) } ?? "—" }

    private static func minutesText(_ value: JSON?) -> String { value?.doubleValue.map { String(format: "%.0f min", $0) } ?? "—" }
}

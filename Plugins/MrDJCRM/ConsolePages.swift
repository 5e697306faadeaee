import Foundation
import PluginAPI

/// The CRM's console pages: the pipeline board (drag a deal to a stage, or pick the stage from its menu),
/// a deal page with its activities and quotes, and the analytics dashboard with SVG charts.
extension MrDJCRMPlugin {
    static let consoleRoutes = [
        Route("GET", "/console/app/crm/board", permission: "crm:read", nav: "Pipeline"),
        Route("POST", "/console/app/crm/board/move", permission: "crm:write"),
        Route("GET", "/console/app/crm/deals/{id}", permission: "crm:read"),
        Route("GET", "/console/app/crm/quotes/{file}", permission: "crm:read"),
        Route("GET", "/console/app/crm/analytics", permission: "analytics:read", nav: "CRM analytics"),
        Route("GET", "/console/app/crm/import", permission: "crm:write", nav: "Import"),
        Route("POST", "/console/app/crm/import/batch", permission: "crm:write"),
    ]

    func consolePage(_ request: HTTPRequest) throws -> HTTPResponse {
        switch (request.method, request.route) {
        case ("GET", "/console/app/crm/board"): return try board(request)
        case ("POST", "/console/app/crm/board/move"): return try moveFromBoard(request)
        case ("GET", "/console/app/crm/deals/{id}"): return try dealPage(request.params["id"] ?? "")
        case ("GET", "/console/app/crm/quotes/{file}"): return try quoteDownload(request.params["file"] ?? "")
        case ("GET", "/console/app/crm/analytics"): return try analyticsPage()
        case ("GET", "/console/app/crm/import"): return importPage(request)
        case ("POST", "/console/app/crm/import/batch"):
            let form = request.form
            return .ok(try importRecords(
                Array((form["csv"] ?? "").utf8), dryRun: form["dry_run"] == "true", map: form["map"] ?? "", firstLine: form["first_line"].flatMap { Int($0) }))
        default: throw PluginError.notFound("no console page \(request.path)")
        }
    }

    /// One column per stage (won and lost last) with its deal count and total value.
    private func board(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let pipeline = config.pipeline(request.query["pipeline"] ?? "") ?? config.pipelines.first else {
            return .page(title: "Pipeline", html: "<h1>Pipeline</h1><p>No pipelines are configured.</p>")
        }
        let deals: [Deal] = try all(Collections.deals)
        let mine = deals.filter { $0.pipeline == pipeline.name }.sorted { $0.updatedAt > $1.updatedAt }
        let stages = pipeline.stages + StageRules.closed.filter { !pipeline.stages.contains($0) }
        let canMove = request.can("crm:write")
        var html = "<h1>Pipeline</h1><nav class=\"filters\" aria-label=\"Pipelines\">"
        for other in config.pipelines {
            let current = other.name == pipeline.name ? " class=\"active\" aria-current=\"page\"" : ""
            html += "<a href=\"/console/app/crm/board?pipeline=\(Self.query(other.name))\"\(current)>\(HTML.escape(other.name))</a>"
        }
        html += "</nav>"
        if let error = request.query["error"] { html += "<p class=\"error\" role=\"alert\">\(HTML.escape(error))</p>" }
        if canMove {
            html += "<form method=\"post\" action=\"/console/app/crm/board/move\" data-drop-form hidden>\(HTML.csrfField(request))"
                + "<input type=\"hidden\" name=\"pipeline\" value=\"\(HTML.escape(pipeline.name))\"><input name=\"moved\"><input name=\"target\"></form>"
        }
        html += "<div class=\"board\">"
        for stage in stages {
            let inStage = mine.filter { $0.stage == stage }
            let total = inStage.reduce(0) { $0 + $1.valueCents }
            html += "<section class=\"column\" data-drop-value=\"\(HTML.escape(stage))\" aria-label=\"\(HTML.escape(stage))\">"
                + "<h2>\(HTML.escape(stage)) <span class=\"meta\">\(inStage.count) · \(Money.euro(total))</span></h2>"
            for deal in inStage {
                html += "<article class=\"deal\" id=\"deal-\(HTML.escape(deal.id))\"\(canMove ? " draggable=\"true\" data-drag-value=\"\(HTML.escape(deal.id))\"" : "")>"
                    + "<a href=\"/console/app/crm/deals/\(HTML.escape(deal.id))\">\(HTML.escape(deal.title))</a>"
                    + "<div class=\"meta\">\(HTML.escape(deal.package ?? "no package")) · \(Money.euro(deal.valueCents))\(deal.priority == "normal" ? "" : " · \(HTML.escape(deal.priority))")</div>"
                let targets = stages.filter { StageRules.allows(from: deal.stage, to: $0, stages: pipeline.stages) }
                if canMove && !targets.isEmpty {
                    html += "<form method=\"post\" action=\"/console/app/crm/board/move\">\(HTML.csrfField(request))"
                        + "<input type=\"hidden\" name=\"pipeline\" value=\"\(HTML.escape(pipeline.name))\">"
                        + "<input type=\"hidden\" name=\"moved\" value=\"\(HTML.escape(deal.id))\">"
                        + "<label class=\"visually-hidden\" for=\"move-\(HTML.escape(deal.id))\">Move \(HTML.escape(deal.title)) to</label>"
                        + "<select id=\"move-\(HTML.escape(deal.id))\" name=\"target\" data-autosubmit><option value=\"\">Move to…</option>"
                        + targets.map { "<option value=\"\(HTML.escape($0))\">\(HTML.escape($0))</option>" }.joined()
                        + "</select><noscript><button>Move</button></noscript></form>"
                }
                html += "</article>"
            }
            html += "</section>"
        }
        return .page(title: "Pipeline · \(pipeline.name)", html: html + "</div>")
    }

    /// Applies a drag-and-drop or menu move; a move the pipeline refuses comes back as a message on the board.
    private func moveFromBoard(_ request: HTTPRequest) throws -> HTTPResponse {
        let form = request.form
        let pipeline = form["pipeline"] ?? ""
        guard let id = form["moved"], let target = form["target"], !id.isEmpty, !target.isEmpty else {
            return .redirect("/console/app/crm/board?pipeline=\(Self.query(pipeline))")
        }
        do {
            try moveDeal(id, to: target, actor: Self.actor(request))
            return .redirect("/console/app/crm/board?pipeline=\(Self.query(pipeline))")
        } catch let error as PluginError {
            return .redirect("/console/app/crm/board?pipeline=\(Self.query(pipeline))&error=\(Self.query(error.message))")
        }
    }

    private func dealPage(_ id: String) throws -> HTTPResponse {
        let deal: Deal = try load(Collections.deals, id)
        var activities: [Activity] = try all(Collections.activities, where: ["deal_id": .string(deal.id)])
        if let leadID = deal.leadID {
            let ofDeal = Set(activities.map(\.id))
            let ofLead: [Activity] = try all(Collections.activities, where: ["lead_id": .string(leadID)])
            activities += ofLead.filter { !ofDeal.contains($0.id) }
        }
        let quotes: [Quote] = try all(Collections.quotes, where: ["deal_id": .string(deal.id)])
        var html = "<p><a href=\"/console/app/crm/board?pipeline=\(Self.query(deal.pipeline))\">← \(HTML.escape(deal.pipeline))</a></p>"
            + "<h1>\(HTML.escape(deal.title))</h1><div class=\"grid\"><div class=\"card\"><dl>"
        for (term, value) in [("Stage", deal.stage), ("Owner", deal.owner), ("Priority", deal.priority), ("Package", deal.package ?? "—"),
                              ("Value", Money.euro(deal.valueCents)), ("Event date", deal.eventDate ?? "—"), ("Venue", deal.venue ?? "—")] {
            html += "<dt>\(term)</dt><dd>\(HTML.escape(value))</dd>"
        }
        html += "</dl></div><div class=\"card\"><h2>Quotes</h2><ul>"
        for quote in quotes {
            html += "<li><a href=\"/console/app/crm/quotes/\(HTML.escape(quote.id)).pdf\">\(HTML.escape(quote.id)).pdf</a> · \(HTML.escape(quote.package)) · "
                + "\(Money.euro(quote.totalCents)) · \(HTML.escape(quote.status))</li>"
        }
        html += "</ul></div></div><h2>Activities</h2><table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Kind</th><th scope=\"col\">Subject</th><th scope=\"col\">By</th></tr></thead><tbody>"
        for activity in activities.sorted(by: { $0.createdAt > $1.createdAt }) {
            html += "<tr><td>\(HTML.escape(dateTime(activity.createdAt)))</td><td>\(HTML.escape(activity.kind))</td>"
                + "<td>\(HTML.escape(activity.subject))</td><td>\(HTML.escape(activity.author))</td></tr>"
        }
        return .page(title: deal.title, html: html + "</tbody></table>")
    }

    /// The CSV import: the page's script sends the file in batches to `/console/app/crm/import/batch` and shows the progress.
    private func importPage(_ request: HTTPRequest) -> HTTPResponse {
        let html = "<h1>Import leads and customers</h1>"
            + "<p>A CSV with a header row (comma or semicolon, UTF-8 or Windows-1252). Known columns: "
            + HTML.escape(Self.importFields.keys.sorted().joined(separator: ", ")) + ". Rows already in the CRM are skipped.</p>"
            + "<form class=\"card\" data-batch-upload=\"/console/app/crm/import/batch\">\(HTML.csrfField(request))"
            + "<label for=\"import-file\">CSV file</label><input id=\"import-file\" name=\"file\" type=\"file\" accept=\".csv,text/csv\" required>"
            + "<label for=\"import-map\">Column mapping (optional, column:field, …)</label><input id=\"import-map\" name=\"map\" placeholder=\"Naam:name, Telefoon:phone\">"
            + "<label><input type=\"checkbox\" name=\"dry_run\" value=\"true\"> Dry run: check the rows, write nothing</label>"
            + "<button class=\"primary\">Import</button>"
            + "<p><label for=\"import-progress\">Progress</label><progress id=\"import-progress\" max=\"1\" value=\"0\"></progress> "
            + "<span data-batch-status role=\"status\" aria-live=\"polite\"></span></p>"
            + "<ul class=\"error\" data-batch-errors></ul></form>"
        return .page(title: "Import", html: html)
    }

    /// Conversion and revenue per pipeline, and deals per stage, as charts over `analytics()`.
    private func analyticsPage() throws -> HTTPResponse {
        let figures = try analytics()
        let pipelines = config.pipelines.map(\.name)
        let conversion = pipelines.map { SVGChart.Bar($0, (figures["conversion"]?[$0]?["rate"]?.doubleValue ?? 0) * 100) }
        let revenue = figures["revenue_cents"]?.objectValue ?? [:]
        let months = Set(revenue.values.flatMap { $0.objectValue?.keys.map { $0 } ?? [] }).sorted()
        let series = pipelines.map { pipeline in
            SVGChart.Series(pipeline, months.map { (revenue[pipeline]?[$0]?.doubleValue ?? 0) / 100 })
        }
        let stages = (figures["deals_per_stage"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { SVGChart.Bar($0.key, $0.value.doubleValue ?? 0) }
        let response = figures["lead_response_minutes"]
        var html = "<h1>CRM analytics</h1><p>Lead response: median \(Self.minutes(response?["median"])), p90 \(Self.minutes(response?["p90"])), "
            + "under 15 min \(Self.share(response?["share_under_15"])).</p><div class=\"grid\">"
        html += SVGChart.bars(title: "Lead → project conversion per pipeline (%)", conversion, format: { String(format: "%.0f %%", $0) })
        html += SVGChart.lines(title: "Revenue per pipeline and month (€)", labels: months, series)
        html += SVGChart.bars(title: "Deals per stage", stages)
        return .page(title: "CRM analytics", html: html + "</div>")
    }

    private static func query(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
    }

    private static func minutes(_ value: JSON?) -> String { value?.doubleValue.map { String(format: "%.0f min", $0) } ?? "—" }
    private static func share(_ value: JSON?) -> String { value?.doubleValue.map { String(format: "%.0f %%", $0 * 100) } ?? "—" }

    private func dateTime(_ millis: Int64) -> String {
        let formatter = DateFormatter()
        formatter.timeZone = timezone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}

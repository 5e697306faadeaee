import Foundation
import PluginAPI

/// `GET /api/crm/analytics`: the dashboard figures of seed 003 §9.
extension MrDJCRMPlugin {
    func analytics() throws -> JSON {
        let leads: [Lead] = try all(Collections.leads), deals: [Deal] = try all(Collections.deals)
        let breaches: [Breach] = try all(Collections.breaches), quotes: [Quote] = try all(Collections.quotes)
        let minutes = leads.filter { $0.source != "import" }.compactMap { lead in lead.firstResponseAt.map { Double($0 - lead.createdAt) / 60_000 } }.sorted()
        let dealsByID = Dictionary(uniqueKeysWithValues: deals.map { ($0.id, $0) })

        var conversion: [String: JSON] = [:]
        for pipeline in config.pipelines.map(\.name) {
            let mine = leads.filter { $0.pipeline == pipeline }
            let projects = mine.filter { $0.dealID.flatMap { dealsByID[$0]?.projectID } != nil }.count
            conversion[pipeline] = ["leads": .number(Double(mine.count)), "projects": .number(Double(projects)),
                                    "rate": mine.isEmpty ? .null : .number(Double(projects) / Double(mine.count))]
        }
        var revenue: [String: [String: Int]] = [:]
        for quote in quotes {
            guard let accepted = quote.acceptedAt, let deal = dealsByID[quote.dealID], deal.projectID != nil else { continue }
            revenue[deal.pipeline, default: [:]][month(accepted), default: 0] += quote.totalCents
        }
        return [
            "lead_response_minutes": [
                "count": .number(Double(minutes.count)),
                "median": Self.percentile(minutes, 0.5).map(JSON.number) ?? .null,
                "p90": Self.percentile(minutes, 0.9).map(JSON.number) ?? .null,
                "share_under_15": minutes.isEmpty ? .null : .number(Double(minutes.filter { $0 < 15 }.count) / Double(minutes.count)),
            ],
            "conversion": .object(conversion),
            "revenue_cents": .object(revenue.mapValues { .object($0.mapValues { .number(Double($0)) }) }),
            "deals_per_stage": .object(Dictionary(grouping: deals, by: \.stage).mapValues { .number(Double($0.count)) }),
            "sla_breaches": .object(Dictionary(grouping: breaches, by: \.rule).mapValues { .number(Double($0.count)) }),
        ]
    }

    /// Every record of a collection, page by page.
    func all<T: Decodable>(_ collection: String, where filter: [String: JSON] = [:]) throws -> [T] {
        var values: [T] = [], after: String?
        repeat {
            let page = try host.query(collection, as: T.self, where: filter, after: after, limit: 500)
            values += page.records.map(\.value)
            after = page.next
        } while after != nil
        return values
    }

    /// `yyyy-MM` of an epoch-ms time in the tenant's timezone.
    func month(_ millis: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        let parts = calendar.dateComponents([.year, .month], from: Date(timeIntervalSince1970: Double(millis) / 1000))
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
    }
}

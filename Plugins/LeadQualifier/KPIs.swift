import Foundation
import PluginAPI

/// Seed 002 §11's KPIs over the leads whose opt-in falls in `[from, to)` (epoch ms or ISO 8601 dates),
/// computed from the stored lead milestones:
/// reply rate = replies / first contacts sent; qualification rate = qualified / answered flows;
/// booking rate = booked / qualified; show-up rate = attended / booked; opt-out rate = opt-outs / leads;
/// median time to first response = the bot's answer to a lead's first inbound message.
extension LeadQualifierPlugin {
    func kpis(_ request: HTTPRequest) throws -> HTTPResponse {
        let from = try Self.time(request.query["from"]) ?? 0
        let to = try Self.time(request.query["to"]) ?? Int64.max
        return .ok(Self.kpis(try leads(optedInFrom: from, to: to)))
    }

    /// The leads whose opt-in falls in `[from, to)`.
    func leads(optedInFrom from: Int64, to: Int64) throws -> [LeadRecord] {
        var leads: [LeadRecord] = []
        var after: String?
        repeat {
            let page = try host.query(Collections.leads, as: LeadRecord.self, after: after, limit: 500)
            leads += page.records.map(\.value).filter { $0.optinAt >= from && $0.optinAt < to }
            after = page.next
        } while after != nil
        return leads
    }

    static func kpis(_ leads: [LeadRecord]) -> JSON {
        let contacted = leads.filter { $0.welcomeSentAt != nil }
        let replied = contacted.filter { $0.firstInboundAt != nil }
        let answered = leads.filter { $0.qualified != nil }
        let qualified = answered.filter { $0.qualified == true }
        let booked = qualified.filter { $0.bookedAt != nil }
        let attended = booked.filter { $0.attended == true }
        let optedOut = leads.filter { $0.optedOutAt != nil }
        let responseTimes = leads.compactMap { lead -> Int64? in
            guard let inbound = lead.firstInboundAt, let response = lead.firstResponseAt, response >= inbound else { return nil }
            return response - inbound
        }.sorted()
        func rate(_ part: Int, _ whole: Int) -> JSON { whole == 0 ? .null : .number((Double(part) / Double(whole) * 10_000).rounded() / 10_000) }
        var median: JSON = .null
        if !responseTimes.isEmpty {
            let mid = responseTimes.count / 2
            median = .number(responseTimes.count % 2 == 1 ? Double(responseTimes[mid]) : Double(responseTimes[mid - 1] + responseTimes[mid]) / 2)
        }
        return [
            "leads": .number(Double(leads.count)),
            "counts": [
                "first_contacts": .number(Double(contacted.count)), "replies": .number(Double(replied.count)),
                "answered_flows": .number(Double(answered.count)), "qualified": .number(Double(qualified.count)),
                "booked": .number(Double(booked.count)), "attended": .number(Double(attended.count)), "opted_out": .number(Double(optedOut.count)),
            ],
            "reply_rate": rate(replied.count, contacted.count),
            "qualification_rate": rate(qualified.count, answered.count),
            "booking_rate": rate(booked.count, qualified.count),
            "show_up_rate": rate(attended.count, booked.count),
            "opt_out_rate": rate(optedOut.count, leads.count),
            "median_time_to_first_response_ms": median,
        ]
    }

    /// Epoch milliseconds, or an ISO 8601 date or date-time.
    static func time(_ text: String?) throws -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        if let ms = Int64(text) { return ms }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        throw PluginError.badArgument("from and to must be epoch ms or ISO 8601 dates")
    }
}

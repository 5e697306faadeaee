import Foundation
import PluginAPI

/// `GET /api/communication/analytics?from=&to=` (epoch ms, on `opened_at`): seed 004's communication KPIs
/// overall, per channel type and per team. The host computes every figure in SQL (`records.aggregate`)
/// over the thread records and their messages; this only names the measures and divides.
extension ChargeCarsCommsPlugin {
    /// The conversational message types: what a customer and the team said to each other.
    static let conversational: JSON = ["incoming", "outgoing", "auto_response"]

    func analytics(_ query: [String: String]) throws -> JSON {
        var period: [JSON] = []
        if let from = query["from"].flatMap(Double.init) { period.append(["field": "opened_at", "gte": .number(from)]) }
        if let to = query["to"].flatMap(Double.init) { period.append(["field": "opened_at", "lt": .number(to)]) }
        func figures(_ dimension: String, unnamed: String) throws -> JSON {
            let messages = try messageFigures(groupBy: "thread:\(dimension)", period: period)
            var result: [String: JSON] = [:]
            for (key, values) in try threadFigures(groupBy: dimension, period: period) { result[key ?? unnamed] = Self.kpis(values, messages[key] ?? [:]) }
            return .object(result)
        }
        let totals = try messageFigures(groupBy: nil, period: period)[nil] ?? [:]
        let overall = Self.kpis(try threadFigures(groupBy: nil, period: period)[nil] ?? [:], totals)
        var usage: [String: JSON] = [:]
        for template in try host.call("templates.list", JSON.object([:]))["data"]?.arrayValue ?? [] {
            guard let name = template["name"]?.stringValue else { continue }
            usage[name] = .number((usage[name]?.doubleValue ?? 0) + (template["usage_count"]?.doubleValue ?? 0))
        }
        return [
            "overall": overall, "by_channel": try figures("channel_type", unnamed: "unknown"),
            "by_team": try figures("team", unnamed: "unassigned"), "template_usage": .object(usage),
            "template_share": Self.ratio(totals["templated"], totals["outgoing"]),
        ]
    }

    /// Per group of threads: counts, response and resolution times (ms), SLA, escalation and assignment counts.
    private func threadFigures(groupBy field: String?, period: [JSON]) throws -> [String?: [String: JSON]] {
        let timed: JSON = [["field": "sla.target_seconds", "gt": 0], ["any": [["field": "first_response_at", "exists": true], ["field": "sla.breached", "eq": true]]]]
        let auto: JSON = [["field": "auto_assigned", "eq": true]]
        return try aggregate([
            "collection": .string(Collections.threads), "where": .array(period), "group_by": .array(field.map { [.string($0)] } ?? []),
            "measures": [
                ["name": "threads", "fn": "count"],
                ["name": "first_response_avg", "fn": "avg", "field": "first_response_at", "minus": "opened_at"],
                ["name": "first_response_median", "fn": "median", "field": "first_response_at", "minus": "opened_at"],
                ["name": "resolution_avg", "fn": "avg", "field": "resolved_at", "minus": "opened_at"],
                ["name": "resolutions", "fn": "count", "field": "resolved_at"],
                ["name": "timed", "fn": "count", "where": timed],
                ["name": "timed_met", "fn": "count", "where": .array((timed.arrayValue ?? []) + [["field": "sla.breached", "eq": false]])],
                ["name": "escalated", "fn": "count", "where": [["any": [["field": "sla.fired", "contains": "manager"], ["field": "status", "eq": "escalated"]]]]],
                ["name": "auto", "fn": "count", "where": auto],
                ["name": "auto_kept", "fn": "count", "where": .array((auto.arrayValue ?? []) + [["field": "assignment_changed_by_hand", "eq": false]])],
            ],
        ], by: field)
    }

    /// Per group of threads (a field of the thread each message belongs to): message volume, and outgoing ones with a template.
    private func messageFigures(groupBy field: String?, period: [JSON]) throws -> [String?: [String: JSON]] {
        let onThread = period.map { condition -> JSON in
            var joined = condition.objectValue ?? [:]
            joined["field"] = .string("thread:" + (condition["field"]?.stringValue ?? ""))
            return .object(joined)
        }
        let outgoing: JSON = [["field": "message_type", "eq": "outgoing"]]
        return try aggregate([
            "collection": .string(Collections.messages), "join": ["collection": .string(Collections.threads), "on": "thread_id", "as": "thread"],
            "where": .array([["field": "message_type", "in": Self.conversational], ["field": "thread:opened_at", "exists": true]] + onThread),
            "group_by": .array(field.map { [.string($0)] } ?? []),
            "measures": [
                ["name": "messages", "fn": "count"],
                ["name": "resolved_messages", "fn": "count", "where": [["field": "thread:resolved_at", "exists": true]]],
                ["name": "outgoing", "fn": "count", "where": outgoing],
                ["name": "templated", "fn": "count", "where": .array((outgoing.arrayValue ?? []) + [["field": "metadata.template_name", "exists": true]])],
            ],
        ], by: field)
    }

    /// The host's groups by the value of `field` (nil: the one group of everything; a null value: nil).
    private func aggregate(_ query: JSON, by field: String?) throws -> [String?: [String: JSON]] {
        var result: [String?: [String: JSON]] = [:]
        for group in try host.call("records.aggregate", query)["groups"]?.arrayValue ?? [] {
            result[field.flatMap { group["key"]?[$0]?.stringValue }] = group["values"]?.objectValue ?? [:]
        }
        return result
    }

    /// The KPIs of one group from its thread and message figures.
    static func kpis(_ threads: [String: JSON], _ messages: [String: JSON]) -> JSON {
        func minutes(_ value: JSON?) -> JSON { value?.doubleValue.map { .number($0 / 60_000) } ?? .null }
        return [
            "threads": threads["threads"] ?? 0, "messages": messages["messages"] ?? 0,
            "first_response_avg_minutes": minutes(threads["first_response_avg"]),
            "first_response_median_minutes": minutes(threads["first_response_median"]),
            "resolution_avg_minutes": minutes(threads["resolution_avg"]),
            "sla_compliance_rate": ratio(threads["timed_met"], threads["timed"]),
            "messages_per_resolution": ratio(messages["resolved_messages"] ?? 0, threads["resolutions"]),
            "escalation_rate": ratio(threads["escalated"], threads["threads"]),
            "auto_assignment_accuracy": ratio(threads["auto_kept"], threads["auto"]),
        ]
    }

    static func ratio(_ part: JSON?, _ whole: JSON?) -> JSON {
        guard let whole = whole?.doubleValue, whole > 0 else { return .null }
        return .number((part?.doubleValue ?? 0) / whole)
    }
}

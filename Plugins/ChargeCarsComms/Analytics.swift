import Foundation
import PluginAPI

/// `GET /api/communication/analytics?from=&to=` (epoch ms, on `opened_at`): seed 004's communication KPIs
/// overall, per channel type and per team, from the thread and message records.
extension ChargeCarsCommsPlugin {
    /// The KPIs of one group of threads with their conversational messages (incoming, outgoing, auto-response).
    struct Metrics {
        var threads: [ThreadRecord] = []
        var messages = 0
        var resolvedMessages = 0

        var json: JSON {
            let responses = threads.compactMap { thread in thread.firstResponseAt.map { Double($0 - thread.openedAt) / 60_000 } }.sorted()
            let resolutions = threads.compactMap { thread in thread.resolvedAt.map { Double($0 - thread.openedAt) / 60_000 } }
            let timed = threads.filter { $0.sla.targetSeconds > 0 && ($0.firstResponseAt != nil || $0.sla.breached) }
            let escalated = threads.filter { $0.sla.fired.contains("manager") || $0.status == "escalated" }
            let auto = threads.filter { $0.autoAssigned == true }
            return [
                "threads": .number(Double(threads.count)), "messages": .number(Double(messages)),
                "first_response_avg_minutes": average(responses), "first_response_median_minutes": median(responses),
                "resolution_avg_minutes": average(resolutions),
                "sla_compliance_rate": ratio(timed.filter { !$0.sla.breached }.count, timed.count),
                "messages_per_resolution": ratio(resolvedMessages, resolutions.count),
                "escalation_rate": ratio(escalated.count, threads.count),
                "auto_assignment_accuracy": ratio(auto.filter { !$0.assignmentChangedByHand }.count, auto.count),
            ]
        }

        private func average(_ values: [Double]) -> JSON { values.isEmpty ? .null : .number(values.reduce(0, +) / Double(values.count)) }
        private func median(_ values: [Double]) -> JSON {
            guard !values.isEmpty else { return .null }
            let middle = values.count / 2
            return .number(values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2)
        }
        private func ratio(_ part: Int, _ whole: Int) -> JSON { whole == 0 ? .null : .number(Double(part) / Double(whole)) }
    }

    func analytics(_ query: [String: String]) throws -> JSON {
        let from = query["from"].flatMap(Int64.init) ?? .min, to = query["to"].flatMap(Int64.init) ?? .max
        var overall = Metrics(), byChannel: [String: Metrics] = [:], byTeam: [String: Metrics] = [:]
        var outgoing = 0, templated = 0
        for thread in try threads.all() where thread.openedAt >= from && thread.openedAt < to {
            var count = 0
            var after: String?
            repeat {
                let page = try host.query(Collections.messages, as: MessageRecord.self, prefix: "\(thread.id)|", after: after, limit: 500)
                for message in page.records.map(\.value) where ["incoming", "outgoing", "auto_response"].contains(message.messageType) {
                    count += 1
                    if message.messageType == "outgoing" {
                        outgoing += 1
                        if message.metadata["template_name"] != nil { templated += 1 }
                    }
                }
                after = page.next
            } while after != nil
            let resolved = thread.resolvedAt != nil ? count : 0
            func add(_ metrics: inout Metrics) {
                metrics.threads.append(thread)
                metrics.messages += count
                metrics.resolvedMessages += resolved
            }
            add(&overall)
            add(&byChannel[thread.channelType, default: Metrics()])
            add(&byTeam[thread.team ?? "unassigned", default: Metrics()])
        }
        var usage: [String: JSON] = [:]
        for record in try host.query(Collections.templates, as: TemplateDetails.self, limit: 500).records {
            usage[record.key] = .number(Double(record.value.usageCount))
        }
        return [
            "overall": overall.json, "by_channel": .object(byChannel.mapValues(\.json)), "by_team": .object(byTeam.mapValues(\.json)),
            "template_usage": .object(usage), "template_share": outgoing == 0 ? .null : .number(Double(templated) / Double(outgoing)),
        ]
    }
}

import PluginAPI

/// Seed 000's monitoring: label counts, conversations by label, and bot performance.
struct Analytics {
    static let labels = ["new_client", "returning_client", "needs_guardian", "age_verified", "weekend_discount"]
    static let metrics = ["label_counts", "conversations_by_label", "bot_performance", "summary"]

    let host: PluginAPI.Host

    /// Answers `{metric}`; `summary` (the route's answer) holds the other three.
    func query(_ metric: String) throws -> JSON {
        switch metric {
        case "label_counts": return try labelCounts()
        case "conversations_by_label": return try conversationsByLabel()
        case "bot_performance": return try botPerformance()
        case "summary":
            return ["label_counts": try labelCounts(), "conversations_by_label": try conversationsByLabel(), "bot_performance": try botPerformance()]
        default: throw PluginError.badArgument("metric must be one of \(Self.metrics.joined(separator: ", "))")
        }
    }

    /// Contacts per seed label.
    func labelCounts() throws -> JSON {
        var counts: [String: JSON] = [:]
        for label in Self.labels { counts[label] = .number(Double(try host.all("contacts.list", ["label": .string(label)]).count)) }
        return .object(counts)
    }

    /// Conversations per label of their contact.
    func conversationsByLabel() throws -> JSON {
        var labelsByContact: [String: [String]] = [:]
        for contact in try host.all("contacts.list") {
            if let id = contact["id"]?.stringValue { labelsByContact[id] = contact["labels"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
        }
        var counts: [String: Double] = [:]
        for conversation in try host.all("conversations.list") {
            for label in labelsByContact[conversation["contact_id"]?.stringValue ?? ""] ?? [] { counts[label, default: 0] += 1 }
        }
        return .object(counts.mapValues(JSON.number))
    }

    /// Median time (ms) from an inbound message to the next outbound one, and handovers to a human.
    func botPerformance() throws -> JSON {
        var delays: [Double] = [], handedOver = 0, conversations = 0
        for conversation in try host.all("conversations.list") {
            guard let id = conversation["id"]?.stringValue else { continue }
            conversations += 1
            if conversation["owner"]?.stringValue == "human" { handedOver += 1 }
            let messages = try host.all("messages.list", ["conversation_id": .string(id)])
                .sorted { ($0["created_at"]?.doubleValue ?? 0) < ($1["created_at"]?.doubleValue ?? 0) }
            var waitingSince: Double?
            for message in messages {
                let at = message["created_at"]?.doubleValue ?? 0
                if message["direction"]?.stringValue == "inbound" {
                    waitingSince = waitingSince ?? at
                } else if let since = waitingSince {
                    delays.append(at - since)
                    waitingSince = nil
                }
            }
        }
        let handovers = try host.query("handovers", as: JSON.self, limit: 1000).records.count
        return [
            "conversations": .number(Double(conversations)), "replies": .number(Double(delays.count)),
            "median_response_ms": Self.median(delays).map(JSON.number) ?? .null,
            "handovers": .number(Double(handovers)), "owned_by_human": .number(Double(handedOver)),
        ]
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

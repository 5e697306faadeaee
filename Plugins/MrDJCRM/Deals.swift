import PluginAPI

extension MrDJCRMPlugin {
    func createDeal(_ body: JSON) throws -> Deal {
        guard let contactID = body["contact_id"]?.stringValue, let title = body["title"]?.stringValue else {
            throw PluginError.badArgument("a deal needs contact_id and title")
        }
        let pipeline = body["pipeline"]?.stringValue ?? config.pipelines.first?.name ?? ""
        guard let first = config.pipeline(pipeline)?.stages.first else { throw PluginError.badArgument("unknown pipeline \(pipeline)") }
        let now = nowMillis
        let deal = Deal(
            id: try nextID("deal"), contactID: contactID, title: title, pipeline: pipeline, stage: first,
            owner: body["owner"]?.stringValue ?? config.owner, package: body["package"]?.stringValue,
            eventDate: body["event_date"]?.stringValue, venue: body["venue"]?.stringValue, createdAt: now, updatedAt: now)
        try host.put(Collections.deals, deal.id, deal)
        return deal
    }

    /// Changes a deal's details; the stage changes only through `moveDeal`.
    func patchDeal(_ id: String, _ body: JSON) throws -> Deal {
        var deal = try deal(id)
        if body["stage"] != nil { throw PluginError.badArgument("change the stage with POST /api/crm/deals/{id}/stage") }
        if let package = body["package"]?.stringValue {
            guard config.packages[package] != nil else { throw PluginError.badArgument("unknown package \(package)") }
            deal.package = package
        }
        deal.title = body["title"]?.stringValue ?? deal.title
        deal.owner = body["owner"]?.stringValue ?? deal.owner
        deal.priority = body["priority"]?.stringValue ?? deal.priority
        deal.eventDate = body["event_date"]?.stringValue ?? deal.eventDate
        deal.venue = body["venue"]?.stringValue ?? deal.venue
        deal.updatedAt = nowMillis
        try host.put(Collections.deals, deal.id, deal)
        return deal
    }

    /// Moves a deal to `to` if its pipeline allows it, and audits who, when, from and to.
    @discardableResult
    func moveDeal(_ id: String, to: String, actor: String) throws -> Deal {
        var deal = try deal(id)
        guard let pipeline = config.pipeline(deal.pipeline) else { throw PluginError.badArgument("unknown pipeline \(deal.pipeline)") }
        guard StageRules.allows(from: deal.stage, to: to, stages: pipeline.stages) else {
            throw PluginError.badArgument("\(deal.pipeline) does not allow \(deal.stage) → \(to)")
        }
        let from = deal.stage
        deal.stage = to
        deal.updatedAt = nowMillis
        try host.put(Collections.deals, deal.id, deal)
        try audit("crm.deal_stage_changed", subject: deal.id, details: [
            "by": .string(actor), "at": .number(Double(deal.updatedAt)), "from": .string(from), "to": .string(to), "pipeline": .string(deal.pipeline),
        ])
        let activity = Activity(
            id: try nextID("act"), kind: "stage_change", subject: "\(from) → \(to)", dealID: deal.id, author: actor, createdAt: deal.updatedAt)
        try host.put(Collections.activities, activity.id, activity)
        return deal
    }
}

/// Which stage moves a pipeline allows: one step forward or back, or to won or lost from any open stage.
enum StageRules {
    static let closed = ["won", "lost"]

    static func allows(from: String, to: String, stages: [String]) -> Bool {
        guard !closed.contains(from), let index = stages.firstIndex(of: from) else { return false }
        if closed.contains(to) { return true }
        guard let target = stages.firstIndex(of: to) else { return false }
        return target == index + 1 || target == index - 1
    }
}

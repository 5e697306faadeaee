import Foundation
import PluginAPI

/// The SLA jobs (seed 003 §3.2), on the business hours of the config: a new lead's first response, a sent
/// quote's reaction, and the follow-up of a quote with no reply after some business days.
enum SLAJob {
    static let firstResponse = "sla.first_response"
    static let quoteReaction = "sla.quote_reaction"
    static let quoteFollowUp = "sla.quote_follow_up"
}

extension MrDJCRMPlugin {
    func scheduleFirstResponseSLA(_ lead: Lead) throws {
        try host.scheduleJob(
            kind: SLAJob.firstResponse, runAt: businessDeadline(minutes: config.firstResponseMinutes),
            payload: ["lead_id": .string(lead.id)], uniqueKey: "sla:first_response:\(lead.id)")
    }

    func scheduleQuoteSLAs(_ quote: Quote) throws {
        try host.scheduleJob(
            kind: SLAJob.quoteReaction,
            runAt: config.businessHours.adding(minutes: 0, to: host.now.addingTimeInterval(Double(config.quoteReactionHours * 3600)), in: timezone),
            payload: ["quote_id": .string(quote.id)], uniqueKey: "sla:quote_reaction:\(quote.id)")
        let day = config.businessHours.closeMinute - config.businessHours.openMinute
        try host.scheduleJob(
            kind: SLAJob.quoteFollowUp, runAt: businessDeadline(minutes: config.quoteFollowUpDays * day),
            payload: ["quote_id": .string(quote.id)], uniqueKey: "sla:quote_follow_up:\(quote.id)")
    }

    func businessDeadline(minutes: Int) -> Date {
        config.businessHours.adding(minutes: minutes, to: host.now, in: timezone)
    }

    /// Checks one SLA when its deadline has come; a breach gives the owner a task, raises the priority and is recorded.
    func runSLAJob(_ job: Job) throws {
        switch job.kind {
        case SLAJob.firstResponse:
            guard var lead = try host.get(Collections.leads, job.payload["lead_id"]?.stringValue ?? "", as: Lead.self),
                lead.firstResponseAt == nil, lead.status == "new"
            else { return }
            lead.priority = "high"
            try host.put(Collections.leads, lead.id, lead)
            try breach("first_response", subject: lead.id, owner: lead.owner, contactID: lead.contactID,
                       title: "SLA verlopen: eerste reactie op lead \(lead.name ?? lead.id)")
        case SLAJob.quoteReaction, SLAJob.quoteFollowUp:
            guard let quote = try host.get(Collections.quotes, job.payload["quote_id"]?.stringValue ?? "", as: Quote.self), quote.status == "sent",
                var deal = try host.get(Collections.deals, quote.dealID, as: Deal.self), deal.stage == "Offerte",
                try !answered(dealID: deal.id, since: quote.sentAt)
            else { return }
            let followUp = job.kind == SLAJob.quoteFollowUp
            deal.priority = "high"
            try host.put(Collections.deals, deal.id, deal)
            try breach(followUp ? "quote_follow_up" : "quote_reaction", subject: quote.id, owner: deal.owner, contactID: deal.contactID,
                       title: followUp ? "Offerte \(quote.id) opvolgen: geen reactie na \(config.quoteFollowUpDays) werkdagen"
                                       : "SLA verlopen: reactie op offerte \(quote.id)")
        default:
            throw PluginError.badArgument("unknown job kind \(job.kind)")
        }
    }

    /// Whether a call, email or note was logged on the deal after `since`: the customer got a reaction.
    private func answered(dealID: String, since: Int64) throws -> Bool {
        let logged: [Activity] = try host.query(Collections.activities, as: Activity.self, where: ["deal_id": .string(dealID)], limit: 500).records.map(\.value)
        return logged.contains { $0.kind != "stage_change" && $0.createdAt > since }
    }

    private func breach(_ rule: String, subject: String, owner: String, contactID: String, title: String) throws {
        try task(title, assignee: owner, contactID: contactID, priority: "high", dueAt: nowMillis)
        try host.put(Collections.breaches, "\(rule):\(subject)", Breach(rule: rule, subject: subject, owner: owner, at: nowMillis))
        try audit("crm.sla_breached", subject: subject, details: ["rule": .string(rule), "owner": .string(owner)])
    }
}

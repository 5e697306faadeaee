import Foundation
import PluginAPI

/// Seed 003 §5, event and after-care, as jobs scheduled when the project is created: 24 hours before the event
/// a checklist mail and an SMS reminder; after it an evaluation task, a review-request mail and the deal moved
/// to Evaluatie; some days later an upsell follow-up task. Every message goes through the host's policy.
/// A project whose event is already over (a late payment, an import) gets none of them.
enum AfterCareJob {
    static let reminder = "aftercare.reminder"
    static let evaluation = "aftercare.evaluation"
    static let upsell = "aftercare.upsell"
    static let all: Set<String> = [reminder, evaluation, upsell]
}

extension MrDJCRMPlugin {
    /// The event's hours: from `eventStart` for `eventHours`.
    static let eventHours = 6.0

    func scheduleAfterCare(_ project: Project) throws {
        guard let start = eventStart(project.date) else { return }
        let end = start.addingTimeInterval(Self.eventHours * 3600)
        guard end > host.now else { return }
        let jobs: [(String, Date)] = [
            (AfterCareJob.reminder, max(host.now, start.addingTimeInterval(-24 * 3600))),
            (AfterCareJob.evaluation, config.businessHours.adding(minutes: 0, to: end, in: timezone)),
            (AfterCareJob.upsell, config.businessHours.adding(minutes: 0, to: end.addingTimeInterval(Double(config.upsellAfterDays) * 86_400), in: timezone)),
        ]
        for (kind, runAt) in jobs {
            try host.scheduleJob(kind: kind, runAt: runAt, payload: ["project_id": .string(project.id)], uniqueKey: "\(kind):\(project.id)")
        }
    }

    func runAfterCareJob(_ job: Job) throws {
        let project: Project = try load(Collections.projects, job.payload["project_id"]?.stringValue ?? "")
        let deal = try deal(project.dealID)
        guard deal.stage != "lost" else { return }
        let customer = try host.contact(["id": project.contactID])
        let name = customer["name"]?.stringValue ?? ""
        switch job.kind {
        case AfterCareJob.reminder:
            try email(
                to: project.contactID, subject: "Morgen is het feest: je checklist van \(brandName)",
                text: "Hoi \(name),\n\nMorgen draaien we op \(project.venue ?? "je locatie"). Loop deze checklist even na:\n"
                    + config.checklist.map { "- \($0)" }.joined(separator: "\n") + "\n\nMet swingende groet,\n\(brandName)")
            if customer["phone"]?.stringValue != nil {
                try host.sendMessage([
                    "contact_id": .string(project.contactID), "channel": .string(config.smsChannel), "type": "session_text", "category": "service",
                    "text": .string("\(brandName): morgen is het zover! Onze crew (\(project.crew)) is op tijd bij \(project.venue ?? "je locatie"). De checklist staat in je mail."),
                ])
            }
        case AfterCareJob.evaluation:
            try task("Evaluatie: \(deal.title)", assignee: deal.owner, contactID: deal.contactID, dueAt: nowMillis + 2 * 86_400_000)
            try email(
                to: project.contactID, subject: "Hoe was je feest? Laat een review achter",
                text: "Hoi \(name),\n\nWe hopen dat je feest geweldig was! Wil je in een minuut een review schrijven? \(config.reviewURL)\n\nMet swingende groet,\n\(brandName)")
            if deal.stage == "Project Gereed" { try moveDeal(deal.id, to: "Evaluatie", actor: "plugin:mrdj-crm") }
        default:
            try task("Upsell: \(deal.title) (\(project.package ?? "pakket")) bellen voor een volgend feest", assignee: deal.owner, contactID: deal.contactID)
        }
    }
}

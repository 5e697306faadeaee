import Foundation
import PluginAPI

/// Scheduled template sends (welcome, follow-ups, reminders) as plugin jobs, mirrored in the
/// `tasks_scheduled` records so their state can be seen through the API.
extension LeadQualifierPlugin {
    static let followUps: [(type: String, template: String, delay: Int64)] = [
        ("nudge_30m", "lead_nudge_v1", 30 * 60_000),
        ("followup_24h", "lead_followup_24h_v1", 24 * 3_600_000),
        ("followup_48h", "lead_followup_48h_v1", 48 * 3_600_000),
    ]

    /// Schedules a template for `contactID` at `runAt`, replacing a pending task of the same type.
    func scheduleTemplate(_ taskType: String, template: String, contactID: String, conversationID: String?, runAt: Int64, variables: JSON = [:]) throws {
        let uniqueKey = "\(taskType):\(contactID)"
        try host.cancelJobs(["unique_key": uniqueKey])
        let payload: JSON = [
            "contact_id": .string(contactID), "conversation_id": conversationID.map(JSON.string) ?? .null,
            "template": .string(template), "variables": variables, "task_type": .string(taskType),
        ]
        let job = try host.scheduleJob(kind: JobKind.template, runAt: Date(timeIntervalSince1970: Double(runAt) / 1000), payload: payload, uniqueKey: uniqueKey)
        try host.put(Collections.tasks, uniqueKey, ScheduledTask(
            id: job["id"]?.stringValue ?? "", contactID: contactID, conversationID: conversationID, taskType: taskType,
            runAt: runAt, payload: payload, status: "pending", attempts: 0))
    }

    /// Cancels the pending tasks of these types for a contact.
    func cancelTasks(_ types: [String], contactID: String) throws {
        for type in types {
            let key = "\(type):\(contactID)"
            guard try host.cancelJobs(["unique_key": key]) > 0, var task = try host.get(Collections.tasks, key, as: ScheduledTask.self) else { continue }
            task.status = "cancelled"
            try host.put(Collections.tasks, key, task)
        }
    }

    /// The nudge after 30 minutes of silence, then the 24 h and 48 h follow-ups, counted from `askedAt`: when
    /// the question reaches the lead (a reply goes out at `replyTime()`).
    func scheduleFollowUps(contactID: String, conversationID: String?, firstName: String, askedAt: Int64) throws {
        for followUp in Self.followUps {
            let variables: JSON = followUp.template == "lead_followup_24h_v1" ? ["1": .string(firstName)] : [:]
            try scheduleTemplate(followUp.type, template: followUp.template, contactID: contactID, conversationID: conversationID,
                                 runAt: askedAt + followUp.delay, variables: variables)
        }
    }

    func cancelFollowUps(contactID: String) throws {
        try cancelTasks(Self.followUps.map(\.type), contactID: contactID)
    }

    /// Sends the job's template. A policy block fails the task without a retry (the host audited it);
    /// other errors are thrown so the scheduler retries.
    func runTemplateJob(_ job: Job) throws {
        guard let contactID = job.payload["contact_id"]?.stringValue, let type = job.payload["task_type"]?.stringValue,
            let template = job.payload["template"]?.stringValue
        else { throw PluginError.badArgument("template job without contact_id, task_type or template") }
        let key = "\(type):\(contactID)"
        var task = try host.get(Collections.tasks, key, as: ScheduledTask.self)
        task?.attempts = job.attempt
        if type == "welcome", let reason = try welcomeNotWanted(contactID: contactID) {
            task?.status = "cancelled"
            if let task { try host.put(Collections.tasks, key, task) }
            host.log(.info, "welcome for \(contactID) not sent: \(reason)")
            return
        }
        do {
            try host.sendMessage([
                "contact_id": .string(contactID), "channel": .string(config.channel), "type": "template",
                "template_name": .string(template), "language": "de", "variables": job.payload["variables"] ?? [:],
            ])
            task?.status = "done"
        } catch let error as PluginError where error.status == .denied || error.status == .notFound {
            task?.status = "failed"
            if let task { try host.put(Collections.tasks, key, task) }
            host.log(.warning, "\(template) for \(contactID) not sent: \(error.message)")
            return
        }
        if let task { try host.put(Collections.tasks, key, task) }
        if type == "welcome" { try welcomeSent(contactID: contactID) }
    }

    /// Why the welcome should not go (seed 002 §4 sends it to start a conversation): the lead wrote first, so the
    /// tree already answers them, or a person has the conversation. Nil when it should go.
    func welcomeNotWanted(contactID: String) throws -> String? {
        if try host.get(Collections.leads, contactID, as: LeadRecord.self)?.firstInboundAt != nil { return "the lead wrote first" }
        if let id = try conversationID(of: contactID), try service("conversations.get", ["id": .string(id)])["owner"]?.stringValue == "human" {
            return "a person has the conversation"
        }
        return nil
    }
}

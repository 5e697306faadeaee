import Foundation
import PluginAPI

/// The SLA clock in business time and its escalation ladder (seed 004 "SLA Management") as plugin jobs:
/// 75 % a reminder to the assignee, 90 % an alert to the team lead, 100 % a manager escalation, then an
/// executive alert 24 business hours later. Each step fires once; a response cancels the rest.
extension ChargeCarsCommsPlugin {
    static let slaJob = "sla_step"
    static let ladder: [(step: String, fraction: Double)] = [("reminder", 0.75), ("team_lead", 0.9), ("manager", 1.0)]
    static let executiveStep = "executive"

    /// Starts (or resumes, after `elapsed` seconds already used) the clock at `now`, sets the deadline and schedules the steps not yet fired.
    func startSLA(_ thread: inout ThreadRecord, target: TimeInterval, now: Date, elapsed: TimeInterval = 0) throws {
        let calendar = config.calendar
        if elapsed == 0 { thread.sla = SLAState(targetSeconds: target) }
        thread.sla.startedAt = millis(now)
        thread.sla.pausedRemainingSeconds = nil
        thread.responseDueAt = millis(calendar.adding(target - elapsed, to: now))
        var steps = Self.ladder.map { ($0.step, $0.fraction * target) }
        steps.append((Self.executiveStep, target + config.executiveAfterSeconds))
        for (step, offset) in steps where offset > elapsed && !thread.sla.fired.contains(step) {
            let runAt = calendar.adding(offset - elapsed, to: now)
            try host.scheduleJob(
                kind: Self.slaJob, runAt: runAt,
                payload: ["thread_id": .string(thread.id), "step": .string(step), "at": .number(Double(millis(runAt)))],
                uniqueKey: "sla:\(thread.id):\(step)")
        }
    }

    /// Cancels the pending steps of a thread's ladder.
    func cancelSLA(_ thread: ThreadRecord) throws {
        for step in Self.ladder.map(\.step) + [Self.executiveStep] {
            try host.cancelJobs(["unique_key": "sla:\(thread.id):\(step)"])
        }
    }

    /// The thread got its response: the clock stops and the ladder is cancelled.
    func stopSLA(_ thread: inout ThreadRecord, at now: Date) throws {
        if thread.firstResponseAt == nil { thread.firstResponseAt = millis(now) }
        thread.responseDueAt = nil
        thread.sla.startedAt = nil
        try cancelSLA(thread)
    }

    /// waiting_customer pauses the clock, keeping the business time left.
    func pauseSLA(_ thread: inout ThreadRecord, at now: Date) throws {
        guard let due = thread.responseDueAt else { return }
        thread.sla.pausedRemainingSeconds = config.calendar.businessSeconds(from: now, to: Date(timeIntervalSince1970: Double(due) / 1000))
        thread.responseDueAt = nil
        try cancelSLA(thread)
    }

    /// Leaving waiting_customer resumes a paused clock.
    func resumeSLA(_ thread: inout ThreadRecord, at now: Date) throws {
        guard let remaining = thread.sla.pausedRemainingSeconds else { return }
        try startSLA(&thread, target: thread.sla.targetSeconds, now: now, elapsed: max(thread.sla.targetSeconds - remaining, 0))
    }

    /// Runs one ladder step at the time in its payload.
    func runSLAStep(_ job: Job) throws {
        guard let id = job.payload["thread_id"]?.stringValue, let step = job.payload["step"]?.stringValue,
            var thread = try threads.find(id)
        else { return }
        guard thread.sla.startedAt != nil, !thread.sla.fired.contains(step), !Vocabulary.finished.contains(thread.status) else { return }
        let at = Date(timeIntervalSince1970: (job.payload["at"]?.doubleValue ?? Double(millis(host.now))) / 1000)
        thread.sla.fired.append(step)
        var recipient: String?
        switch step {
        case "reminder": recipient = thread.assignedToContactID
        case "team_lead": recipient = thread.team.flatMap { config.teams[$0]?.lead }
        case "manager":
            recipient = config.manager
            thread.sla.breached = true
            thread.status = "escalated"
            thread.priority = Vocabulary.raised(thread.priority)
            thread.responseDueAt = millis(config.calendar.adding(config.escalatedSeconds, to: at))
        default: recipient = config.executive
        }
        try threads.save(thread)
        let text = "SLA \(step): \(thread.threadSubject)" + (recipient.map { " → \($0)" } ?? "")
        try appendNote(thread, type: "system_notification", text: text, at: millis(at))
        try host.emit(type: "sla.alert", data: [
            "thread_id": .string(id), "step": .string(step), "recipient": recipient.map(JSON.string) ?? .null,
            "priority": .string(thread.priority), "urgent": .bool(Vocabulary.rank(thread.priority) >= 3), "at": .number(Double(millis(at))),
        ])
        if step == "manager" { try announceStatus(thread) }
    }
}

func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

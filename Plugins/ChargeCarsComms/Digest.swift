import Foundation
import PluginAPI

/// The daily digest (seed 004 "Push Notifications: Email"): each agent with an email address gets
/// their open threads and tasks every business morning, as a job that schedules the next one.
extension ChargeCarsCommsPlugin {
    static let digestJob = "daily_digest"

    /// Schedules the next digest (keyed by its time, so a restart adds no second one) at `config.digestTime` on the next business day after `now`.
    func scheduleDigest(after now: Date) throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = config.calendar.timeZone
        var day = calendar.startOfDay(for: now)
        for _ in 0..<370 {
            if let at = calendar.date(byAdding: .minute, value: config.digestMinute, to: day), at > now,
                config.calendar.businessSeconds(from: day, to: calendar.date(byAdding: .day, value: 1, to: day) ?? day) > 0 {
                try host.scheduleJob(kind: Self.digestJob, runAt: at, payload: ["at": .number(Double(millis(at)))], uniqueKey: "daily_digest:\(millis(at))")
                return
            }
            day = calendar.date(byAdding: .day, value: 1, to: day) ?? day.addingTimeInterval(86_400)
        }
    }

    /// Sends every agent with an email their pending items, then schedules tomorrow's digest.
    func runDigest(_ job: Job) throws {
        let at = Date(timeIntervalSince1970: (job.payload["at"]?.doubleValue ?? Double(millis(host.now))) / 1000)
        let open = try threads.all().filter { !Vocabulary.finished.contains($0.status) }
        for agent in config.teams.values.flatMap(\.agents) {
            guard let email = agent.email else { continue }
            let mine = open.filter { $0.assignedToContactID == agent.id }.sorted { $0.inboxKey < $1.inboxKey }
            let tasks = try host.call("tasks.list", JSON.object(["assignee": .string(agent.id), "status": "open", "limit": 100]))["data"]?.arrayValue ?? []
            guard !mine.isEmpty || !tasks.isEmpty else { continue }
            var lines = ["Goedemorgen \(agent.name), dit staat voor je open:"]
            lines += mine.map { "• [\($0.priority)] \($0.threadSubject) (\($0.status))" }
            lines += tasks.compactMap { $0["title"]?.stringValue.map { "• Taak: \($0)" } }
            let contact = try host.call("contacts.create", JSON.object(["email": .string(email), "name": .string(agent.name)]))
            guard let contactID = contact["id"]?.stringValue else { continue }
            try host.sendMessage([
                "contact_id": .string(contactID), "channel": "email", "type": "session_text", "category": "service",
                "text": .string(lines.joined(separator: "\n")), "variables": ["subject": .string("Dagoverzicht: \(mine.count + tasks.count) open")],
            ])
        }
        try scheduleDigest(after: at)
    }
}

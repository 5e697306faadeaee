import Foundation
import PluginAPI

/// The RentGuy backend webhook (seed 003 §4.4): when a project is created or changed, a job POSTs
/// `{"event": "project.created" | "project.updated", "project": {…}}` to the configured URL through the host's
/// egress, signed `X-RentGuy-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">` with
/// `X-RentGuy-Timestamp: <unix seconds>`. A failed delivery is retried by the scheduler with backoff.
enum RentGuy {
    static let pushJob = "rentguy.push"
}

extension MrDJCRMPlugin {
    /// Schedules the push of a project's current state; a push still pending for it is reused.
    func schedulePush(_ project: Project, event: String) throws {
        guard config.rentGuyURL != nil else { return }
        try host.scheduleJob(
            kind: RentGuy.pushJob, runAt: host.now, payload: ["project_id": .string(project.id), "event": .string(event)],
            uniqueKey: "rentguy:\(project.id)")
    }

    func pushProject(_ job: Job) throws {
        guard let url = config.rentGuyURL else { return }
        let project: Project = try load(Collections.projects, job.payload["project_id"]?.stringValue ?? "")
        let body = try JSON.object(["event": job.payload["event"] ?? "project.updated", "project": JSON(encoding: project)]).serialized()
        let timestamp = String(Int64(host.now.timeIntervalSince1970))
        let signature = HMAC.hex(HMAC.sha256(key: Array(config.rentGuySecret.utf8), data: Array("\(timestamp).\(body)".utf8)))
        let reply = try host.httpRequest([
            "method": "POST", "url": .string(url), "body": .string(body),
            "headers": ["Content-Type": "application/json", "X-RentGuy-Timestamp": .string(timestamp), "X-RentGuy-Signature": .string("sha256=\(signature)")],
        ])
        let status = Int(reply["status"]?.doubleValue ?? 0)
        guard (200..<300).contains(status) else {
            throw PluginError(.retry, code: "rentguy_\(status)", message: "RentGuy answered \(status) to the push of \(project.id)")
        }
    }

    /// `PATCH /api/crm/projects/{id}`: date, venue, crew or equipment; RentGuy hears of the change.
    func patchProject(_ id: String, _ body: JSON) throws -> Project {
        var project: Project = try load(Collections.projects, id)
        if let date = body["date"]?.stringValue {
            guard eventStart(date) != nil else { throw PluginError.badArgument("date must be yyyy-mm-dd") }
            if date != project.date {
                project.date = date
                for kind in AfterCareJob.all { try host.cancelJobs(["unique_key": "\(kind):\(project.id)"]) }
                try scheduleAfterCare(project)
            }
        }
        project.venue = body["venue"]?.stringValue ?? project.venue
        if let crew = body["crew"]?.doubleValue {
            guard crew >= 1, crew == crew.rounded() else { throw PluginError.badArgument("crew must be a whole number of at least 1") }
            project.crew = Int(crew)
        }
        if let equipment = body["equipment"] {
            guard let items = equipment.arrayValue?.compactMap(\.stringValue), items.count == equipment.arrayValue?.count else {
                throw PluginError.badArgument("equipment must be a list of strings")
            }
            project.equipment = items
        }
        try host.put(Collections.projects, project.id, project)
        try schedulePush(project, event: "project.updated")
        return project
    }
}

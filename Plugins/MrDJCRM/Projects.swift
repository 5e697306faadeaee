import Foundation
import PluginAPI

extension MrDJCRMPlugin {
    /// The project of a paid deal: date, venue, package, crew and equipment from the package template, a
    /// calendar event and an ICS invite (METHOD:REQUEST) mailed to the customer, the after-care jobs and the
    /// RentGuy push. One project per deal.
    @discardableResult
    func createProject(for dealID: String) throws -> Project {
        var deal = try deal(dealID)
        if let projectID = deal.projectID, let existing = try host.get(Collections.projects, projectID, as: Project.self) { return existing }
        let package = deal.package.flatMap { config.packages[$0] }
        var project = Project(
            id: try nextID("project"), dealID: deal.id, contactID: deal.contactID, date: deal.eventDate, venue: deal.venue,
            package: deal.package, crew: package?.crew ?? 1, equipment: package?.equipment ?? [], createdAt: nowMillis)
        if let start = eventStart(deal.eventDate) {
            let ends = start.addingTimeInterval(6 * 3600)
            var event: [String: JSON] = [
                "title": .string("\(brandName): \(deal.package ?? "feest") \(deal.title)"),
                "starts_at": .number(start.timeIntervalSince1970 * 1000), "ends_at": .number(ends.timeIntervalSince1970 * 1000),
                "contact_id": .string(deal.contactID), "description": .string("Crew: \(project.crew). Apparatuur: \(project.equipment.joined(separator: ", "))"),
            ]
            if let venue = deal.venue { event["location"] = .string(venue) }
            let created = try host.call("calendar.create", JSON.object(event))
            project.calendarEventID = created["id"]?.stringValue
        }
        try host.put(Collections.projects, project.id, project)
        deal.projectID = project.id
        try host.put(Collections.deals, deal.id, deal)
        if let eventID = project.calendarEventID { try mailInvite(eventID: eventID, deal: deal) }
        try scheduleAfterCare(project)
        try schedulePush(project, event: "project.created")
        try audit("crm.project_created", subject: project.id, details: ["deal_id": .string(deal.id)])
        return project
    }

    /// Mails the calendar event's ICS invite to the customer.
    func mailInvite(eventID: String, deal: Deal) throws {
        let email = try host.contact(["id": deal.contactID])["email"]?.stringValue
        var request: [String: JSON] = ["id": .string(eventID), "method": "REQUEST"]
        if let email { request["attendee"] = .string(email) }
        let ics = try host.call("calendar.ics", JSON.object(request))["ics"]?.stringValue ?? ""
        try self.email(
            to: deal.contactID, subject: "Je boeking bij \(brandName) is bevestigd",
            text: "Bedankt voor je aanbetaling! Je feest op \(deal.eventDate ?? "de afgesproken datum") staat in onze planning; de uitnodiging zit in de bijlage.",
            attachments: [["filename": "mrdj-boeking.ics", "content_type": "text/calendar; method=REQUEST", "content_base64": .string(Data(ics.utf8).base64EncodedString())]])
    }

    /// 19:00 on an ISO `yyyy-MM-dd` event date, in the tenant's timezone.
    func eventStart(_ date: String?) -> Date? {
        let parts = (date ?? "").split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timezone
        return calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: 19))
    }
}

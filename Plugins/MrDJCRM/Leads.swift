import PluginAPI

extension MrDJCRMPlugin {
    /// Creates a lead and its contact, deduplicated by email and phone: an open lead of the same contact is returned as is.
    func createLead(_ body: JSON, source: String) throws -> (lead: Lead, created: Bool) {
        let email = body["email"]?.stringValue?.lowercased(), phone = body["phone"]?.stringValue
        guard email != nil || phone != nil else { throw PluginError.badArgument("a lead needs an email or a phone number") }
        let pipeline = body["pipeline"]?.stringValue ?? config.pipelines.first?.name ?? "Bruiloften"
        guard config.pipeline(pipeline) != nil else { throw PluginError.badArgument("unknown pipeline \(pipeline)") }
        let contactID = try contact(name: body["name"]?.stringValue, email: email, phone: phone)
        if let open = try openLead(of: contactID) { return (open, false) }
        let lead = newLead(body, id: try nextID("lead"), contactID: contactID, source: source)
        try host.put(Collections.leads, lead.id, lead)
        try scheduleFirstResponseSLA(lead)
        return (lead, true)
    }

    /// The contact's lead that is neither converted nor lost, if any: a second enquiry joins it.
    func openLead(of contactID: String) throws -> Lead? {
        try host.query(Collections.leads, as: Lead.self, where: ["contact_id": .string(contactID)], limit: 200).records
            .map(\.value).first { !["converted", "lost"].contains($0.status) }
    }

    /// A new lead from API, form or import fields; an import may bring its historical status.
    func newLead(_ body: JSON, id: String, contactID: String, source: String) -> Lead {
        Lead(
            id: id, contactID: contactID, name: body["name"]?.stringValue, email: body["email"]?.stringValue?.lowercased(),
            phone: body["phone"]?.stringValue, pipeline: body["pipeline"]?.stringValue ?? config.pipelines.first?.name ?? "Bruiloften",
            eventDate: body["event_date"]?.stringValue, venue: body["venue"]?.stringValue, message: body["message"]?.stringValue,
            source: source, status: source == "import" ? body["status"]?.stringValue ?? "new" : "new", owner: body["owner"]?.stringValue ?? config.owner,
            createdAt: nowMillis)
    }

    /// The host contact with this email or phone, created when there is none.
    func contact(name: String?, email: String?, phone: String?) throws -> String {
        for selector in [email.map { ["email": $0] }, phone.map { ["phone": $0] }].compactMap({ $0 }) {
            if let id = try? host.contact(selector)["id"]?.stringValue { return id }
        }
        var request: [String: JSON] = ["attributes": ["source": "mrdj-crm"]]
        if let name { request["name"] = .string(name) }
        if let email { request["email"] = .string(email) }
        if let phone { request["phone"] = .string(phone) }
        guard let id = try host.call("contacts.create", JSON.object(request))["id"]?.stringValue else {
            throw PluginError.badArgument("the host did not create the contact")
        }
        return id
    }

    /// Changes a lead's status, owner, priority or event details; any change but the owner counts as the first response.
    func patchLead(_ id: String, _ body: JSON) throws -> Lead {
        var lead = try lead(id)
        if let status = body["status"]?.stringValue {
            guard ["new", "contacted", "qualified", "lost"].contains(status) else { throw PluginError.badArgument("unknown lead status \(status)") }
            lead.status = status
        }
        lead.owner = body["owner"]?.stringValue ?? lead.owner
        lead.priority = body["priority"]?.stringValue ?? lead.priority
        lead.eventDate = body["event_date"]?.stringValue ?? lead.eventDate
        lead.venue = body["venue"]?.stringValue ?? lead.venue
        if lead.status != "new", lead.firstResponseAt == nil { lead.firstResponseAt = nowMillis }
        try host.put(Collections.leads, lead.id, lead)
        return lead
    }

    /// Turns a lead into a deal at the pipeline's first stage.
    func convert(_ id: String, _ body: JSON, actor: String) throws -> Deal {
        var lead = try lead(id)
        if let dealID = lead.dealID { return try deal(dealID) }
        let pipeline = body["pipeline"]?.stringValue ?? lead.pipeline
        guard let stages = config.pipeline(pipeline)?.stages, let first = stages.first else { throw PluginError.badArgument("unknown pipeline \(pipeline)") }
        let now = nowMillis
        let deal = Deal(
            id: try nextID("deal"), contactID: lead.contactID, leadID: lead.id, title: body["title"]?.stringValue ?? "\(pipeline): \(lead.name ?? lead.email ?? lead.id)",
            pipeline: pipeline, stage: first, owner: lead.owner, package: body["package"]?.stringValue, eventDate: lead.eventDate,
            venue: lead.venue, createdAt: now, updatedAt: now)
        try host.put(Collections.deals, deal.id, deal)
        lead.status = "converted"
        lead.dealID = deal.id
        lead.firstResponseAt = lead.firstResponseAt ?? now
        try host.put(Collections.leads, lead.id, lead)
        try audit("crm.lead_converted", subject: lead.id, details: ["deal_id": .string(deal.id), "by": .string(actor)])
        return deal
    }
}

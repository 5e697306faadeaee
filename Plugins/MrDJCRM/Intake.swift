import Foundation
import PluginAPI

extension MrDJCRMPlugin {
    /// `POST /hooks/mrdj/website-form`: the mr-dj.nl form, signed `X-Signature: sha256=<hex HMAC of the body>`
    /// with the shared secret; JSON or `application/x-www-form-urlencoded`. Creates the lead and contact, mails
    /// the brochure, gives the owner a task and tells Teams.
    func websiteForm(_ request: HTTPRequest) throws -> HTTPResponse {
        guard HMAC.verify(header: request.headers["x-signature"], body: request.body, secret: config.formSecret) else {
            return HTTPResponse(status: 401, json: ["error": "bad or missing signature"])
        }
        let fields = (request.headers["content-type"] ?? "").hasPrefix("application/x-www-form-urlencoded")
            ? Self.formFields(request.body) : try Self.body(request)
        let (lead, isNew) = try createLead(fields, source: "website")
        if isNew {
            try sendConfirmation(lead)
            try task("Nieuwe lead opvolgen: \(lead.name ?? lead.email ?? lead.id)", assignee: lead.owner, contactID: lead.contactID,
                     dueAt: Int64(config.businessHours.adding(minutes: config.firstResponseMinutes, to: host.now, in: timezone).timeIntervalSince1970 * 1000))
            try notifyTeams("Nieuwe lead (\(lead.pipeline)): \(lead.name ?? "onbekend"), \(lead.email ?? lead.phone ?? ""), \(lead.eventDate ?? "datum onbekend")")
        }
        return .ok(["lead_id": .string(lead.id), "contact_id": .string(lead.contactID)], status: isNew ? 201 : 200)
    }

    /// The brochure mail, with the tenant's brochure file attached.
    func sendConfirmation(_ lead: Lead) throws {
        let file = try host.call("files.read", ["path": config.brochurePath])
        let content = file["content_base64"]?.stringValue ?? Data((file["content"]?.stringValue ?? "").utf8).base64EncodedString()
        let name = (config.brochurePath as NSString).lastPathComponent
        try email(
            to: lead.contactID, subject: "Bedankt voor je aanvraag bij \(brandName)",
            text: "Hoi \(lead.name ?? ""),\n\nBedankt voor je aanvraag. \(config.owner) neemt binnen twee werkuren contact met je op. "
                + "In de bijlage vind je onze brochure met alle pakketten.\n\nMet swingende groet,\n\(brandName)",
            attachments: [["filename": .string(name), "content_type": "application/pdf", "content_base64": .string(content)]])
    }

    /// A Microsoft Teams incoming-webhook message, when a webhook is configured. A failure is logged, not fatal.
    func notifyTeams(_ text: String) throws {
        guard let url = config.teamsWebhookURL else { return }
        let body = try JSON.object(["text": .string(text)]).serialized()
        do {
            let reply = try host.httpRequest(["method": "POST", "url": .string(url), "headers": ["Content-Type": "application/json"], "body": .string(body)])
            if (reply["status"]?.doubleValue ?? 0) >= 400 { host.log(.warning, "Teams answered \(reply["status"]?.doubleValue ?? 0)") }
        } catch {
            host.log(.warning, "Teams notification failed: \(error)")
        }
    }

    /// An email to a contact through the host's policy path.
    func email(to contactID: String, subject: String, text: String, attachments: [JSON] = []) throws {
        var message: [String: JSON] = [
            "contact_id": .string(contactID), "channel": .string(config.emailChannel), "type": "session_text", "category": "service",
            "subject": .string(subject), "text": .string(text),
        ]
        if !attachments.isEmpty { message["attachments"] = .array(attachments) }
        try host.sendMessage(.object(message))
    }

    var brandName: String { branding["name"]?.stringValue ?? "Mr. DJ" }

    /// `a=1&b=two+words` as a JSON object.
    static func formFields(_ body: [UInt8]) -> JSON {
        var fields: [String: JSON] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0) }
            if parts.count == 2 { fields[parts[0]] = .string(parts[1]) }
        }
        return .object(fields)
    }
}

import Foundation
import PluginAPI

/// LeadQualifier: the WhatsApp lead-qualification bot of seed 002. Opt-in, a two-question decision
/// tree whose state lives in the conversation's attributes, booking with reminders, follow-ups,
/// human handover, answers from the approved knowledge files, GDPR operations and KPIs.
final class LeadQualifierPlugin: Plugin {
    static let info = PluginInfo(
        id: "leadqualifier",
        version: "0.2.0",
        capabilities: [.flows, .templates, .analytics, .jobs, .httpRoutes],
        routes: [
            Route("POST", "/api/leadqualifier/optin", permission: "public"),
            Route("GET", "/api/leadqualifier/leads/{contact_id}", permission: "crm:read"),
            Route("POST", "/api/leadqualifier/conversations/{id}/release", permission: "conversations:write"),
            Route("POST", "/api/leadqualifier/appointments/{id}/attendance", permission: "crm:write"),
            Route("GET", "/api/leadqualifier/kpis", permission: "analytics:read"),
            Route("POST", "/privacy/export", permission: "tenant:admin"),
            Route("POST", "/privacy/delete", permission: "tenant:admin"),
            Route("POST", "/privacy/revoke-consent", permission: "tenant:admin"),
        ] + consoleRoutes,
        // A lead's messages, and a conversation handed back to the bot (release from the console, the API or a plugin).
        subscriptions: [EventType.messageReceived, EventType.conversationUpdated]
    )

    let host: PluginAPI.Host
    let config: Config
    let timezone: TimeZone
    let knowledge: KnowledgeBase

    init(context: PluginContext) throws {
        host = context.host
        config = try Config(context.config)
        timezone = TimeZone(identifier: context.tenant["timezone"]?.stringValue ?? "") ?? TimeZone(identifier: "Europe/Berlin")!
        knowledge = KnowledgeBase(host: host, folder: config.knowledgeFolder, approved: config.knowledgeFiles)
        do {
            try TemplateCatalog.seed(host: host, approval: config.templateApproval)
        } catch {
            host.log(.warning, "could not seed the templates: \(error)")
        }
    }

    /// A lead's message is a turn of the decision tree; a conversation released to the bot resumes it. Events come at
    /// least once: a turn already taken (the host stopped before it heard back) is not taken again.
    func handleEvent(_ event: Event) throws -> JSON? {
        guard try host.get(Collections.turns, event.id, as: Bool.self) == nil else { return nil }
        if event.type == EventType.messageReceived {
            try handleInbound(event.data)
        } else if let update = event.conversationUpdated, update.changes.newValue("owner") == "bot" {
            try resume(conversationID: update.conversationID)
        }
        try host.put(Collections.turns, event.id, true)
        return nil
    }

    func handleHTTP(_ request: HTTPRequest) throws -> HTTPResponse {
        switch (request.method, request.route) {
        case ("POST", "/api/leadqualifier/optin"): try optIn(request)
        case ("GET", "/api/leadqualifier/leads/{contact_id}"): try leadView(request.params["contact_id"] ?? "")
        case ("POST", "/api/leadqualifier/conversations/{id}/release"): try release(conversationID: request.params["id"] ?? "")
        case ("POST", "/api/leadqualifier/appointments/{id}/attendance"): try markAttendance(request)
        case ("GET", "/api/leadqualifier/kpis"): try kpis(request)
        case ("POST", "/privacy/export"): try exportData(request)
        case ("POST", "/privacy/delete"): try deleteData(request)
        case ("POST", "/privacy/revoke-consent"): try revokeConsent(request)
        case ("GET", "/console/app/leadqualifier/dashboard"): try dashboard(request)
        default: throw PluginError.notFound("no route \(request.method) \(request.path)")
        }
    }

    func runJob(_ job: Job) throws -> JSON? {
        switch job.kind {
        case JobKind.template: try runTemplateJob(job)
        case JobKind.crm: try runCRMJob(job)
        default: throw PluginError.badArgument("unknown job kind \(job.kind)")
        }
        return nil
    }

    // MARK: Shared helpers

    var nowMillis: Int64 { Int64((host.now.timeIntervalSince1970 * 1000).rounded()) }

    /// Sends a session text through the host policy at `replyTime()`: after the reply delay, within the reply hours.
    /// `optOutConfirmation` marks the one message the policy still lets a bot send to a lead who opted out.
    func say(_ text: String, to contactID: String, channel: String, optOutConfirmation: Bool = false) throws {
        var message: JSON = [
            "contact_id": .string(contactID), "channel": .string(channel), "type": "session_text", "text": .string(text),
            "category": "service", "send_at": .number(Double(replyTime())),
        ]
        if optOutConfirmation, case .object(var members) = message {
            members["opt_out_confirmation"] = true
            message = .object(members)
        }
        do {
            try host.sendMessage(message)
        } catch let error as PluginError where error.status == .denied {
            host.log(.warning, "reply blocked by the policy: \(error.message)")
        }
    }

    /// Merges `attributes` into the conversation; optionally sets its status and owner.
    func updateConversation(_ id: String, attributes: [String: JSON], status: String? = nil, owner: String? = nil) throws {
        var request: [String: JSON] = ["id": .string(id), "attributes": .object(attributes)]
        if let status { request["status"] = .string(status) }
        if let owner { request["owner"] = .string(owner) }
        try service("conversations.update", JSON.object(request))
    }

    /// A named host service (ABI 1.1) with a JSON request.
    @discardableResult
    func service(_ method: String, _ request: JSON) throws -> JSON { try host.call(method, request) }

    func audit(_ action: String, subject: String, details: JSON = [:]) throws {
        try service("audit.record", ["action": .string(action), "subject": .string(subject), "details": details])
    }

    /// The lead record of a contact, updated by `change` and stored.
    func updateLead(_ contactID: String, _ change: (inout LeadRecord) -> Void) throws {
        var lead = try host.get(Collections.leads, contactID, as: LeadRecord.self) ?? LeadRecord(contactID: contactID, optinAt: nowMillis)
        change(&lead)
        try host.put(Collections.leads, contactID, lead)
    }

    /// The contact's WhatsApp (or configured channel) conversation, if one is open.
    func conversationID(of contactID: String) throws -> String? {
        let page = try service("conversations.list", ["contact_id": .string(contactID), "channel": .string(config.channel), "limit": 1])
        return page["data"]?.arrayValue?.first?["id"]?.stringValue
    }

    static func body(_ request: HTTPRequest) throws -> JSON {
        guard !request.body.isEmpty else { return [:] }
        do { return try JSON.parse(bytes: request.body) } catch { throw PluginError.badArgument("the body is not JSON") }
    }
}

/// The plugin's job kinds.
enum JobKind {
    static let template = "send_template"
    static let crm = "crm_post"
}

@_cdecl("switchboard_plugin_entry_v1")
public func switchboardPluginEntry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? { export(LeadQualifierPlugin.self, hostMajor: major, hostMinor: minor) }

extension HTTPResponse {
    /// A JSON response.
    static func ok(_ json: JSON, status: Int = 200) -> HTTPResponse { HTTPResponse(status: status, json: json) }
}

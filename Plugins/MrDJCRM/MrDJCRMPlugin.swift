import Foundation
import PluginAPI

/// MrDJCRM: the Mr. DJ event CRM of seed 003. Leads, deals and activities over REST; the automation chain
/// website form → lead → quote PDF → Mollie deposit → project with an ICS invite; SLA jobs on business time.
final class MrDJCRMPlugin: Plugin {
    static let info = PluginInfo(
        id: "mrdj-crm",
        version: "1.0.0",
        capabilities: [.pipelines, .templates, .analytics, .jobs, .httpRoutes],
        routes: [
            Route("GET", "/api/crm/leads", permission: "crm:read"),
            Route("POST", "/api/crm/leads", permission: "crm:write"),
            Route("GET", "/api/crm/leads/{id}", permission: "crm:read"),
            Route("PATCH", "/api/crm/leads/{id}", permission: "crm:write"),
            Route("POST", "/api/crm/leads/{id}/convert", permission: "crm:write"),
            Route("GET", "/api/crm/deals", permission: "crm:read"),
            Route("POST", "/api/crm/deals", permission: "crm:write"),
            Route("GET", "/api/crm/deals/{id}", permission: "crm:read"),
            Route("PATCH", "/api/crm/deals/{id}", permission: "crm:write"),
            Route("POST", "/api/crm/deals/{id}/stage", permission: "crm:write"),
            Route("GET", "/api/crm/activities", permission: "crm:read"),
            Route("POST", "/api/crm/activities", permission: "crm:write"),
            Route("POST", "/hooks/mrdj/crm", permission: "public"),
            Route("POST", "/api/crm/quotes", permission: "crm:write"),
            Route("GET", "/api/crm/quotes/{file}", permission: "crm:read"),
            Route("POST", "/api/crm/quotes/{id}/accept", permission: "crm:write"),
            Route("GET", "/api/crm/projects", permission: "projects:read"),
            Route("PATCH", "/api/crm/projects/{id}", permission: "crm:write"),
            Route("GET", "/api/crm/sla/breaches", permission: "crm:read"),
            Route("POST", "/api/crm/import", permission: "crm:write", cli: "crm import"),
            Route("GET", "/api/crm/analytics", permission: "analytics:read"),
            Route("POST", "/hooks/mrdj/website-form", permission: "public"),
            Route("POST", "/hooks/mrdj/mollie", permission: "public"),
            Route("GET", "/quotes/accept", permission: "public"),
            Route("POST", "/quotes/accept", permission: "public"),
        ] + consoleRoutes,
        // The CRM is driven by its routes and jobs; it handles no events.
        subscriptions: []
    )

    let host: PluginAPI.Host
    let config: Config
    let timezone: TimeZone
    let branding: JSON

    init(context: PluginContext) throws {
        host = context.host
        config = Config(context.config)
        timezone = TimeZone(identifier: context.tenant["timezone"]?.stringValue ?? "") ?? TimeZone(identifier: "Europe/Amsterdam")!
        branding = context.tenant["branding"] ?? [:]
    }

    func handleHTTP(_ request: HTTPRequest) throws -> HTTPResponse {
        if request.route.hasPrefix("/console/app/") { return try consolePage(request) }
        let id = request.params["id"] ?? ""
        switch (request.method, request.route) {
        case ("GET", "/api/crm/leads"): return try list(Collections.leads, Lead.self, request, filters: ["status", "pipeline", "owner", "contact_id", "email"])
        case ("POST", "/api/crm/leads"): 
            let (lead, created) = try createLead(try Self.body(request), source: "api")
            return .ok(try JSON(encoding: lead), status: created ? 201 : 200)
        case ("GET", "/api/crm/leads/{id}"): return .ok(try JSON(encoding: lead(id)))
        case ("PATCH", "/api/crm/leads/{id}"): return .ok(try JSON(encoding: patchLead(id, try Self.body(request))))
        case ("POST", "/api/crm/leads/{id}/convert"): return .ok(try JSON(encoding: convert(id, try Self.body(request), actor: Self.actor(request))), status: 201)
        case ("GET", "/api/crm/deals"): return try list(Collections.deals, Deal.self, request, filters: ["stage", "pipeline", "owner", "priority", "contact_id"])
        case ("POST", "/api/crm/deals"): return .ok(try JSON(encoding: createDeal(try Self.body(request))), status: 201)
        case ("GET", "/api/crm/deals/{id}"): return .ok(try JSON(encoding: deal(id)))
        case ("PATCH", "/api/crm/deals/{id}"): return .ok(try JSON(encoding: patchDeal(id, try Self.body(request))))
        case ("POST", "/api/crm/deals/{id}/stage"):
            let to = try Self.body(request)["stage"]?.stringValue ?? ""
            return .ok(try JSON(encoding: moveDeal(id, to: to, actor: Self.actor(request))))
        case ("GET", "/api/crm/activities"): return try list(Collections.activities, Activity.self, request, filters: ["kind", "lead_id", "deal_id", "author"])
        case ("POST", "/api/crm/activities"): return .ok(try JSON(encoding: createActivity(try Self.body(request), author: Self.actor(request))), status: 201)
        case ("POST", "/hooks/mrdj/crm"): return try crmIntake(request)
        case ("POST", "/api/crm/quotes"): return .ok(try quoteSummary(createQuote(try Self.body(request))), status: 201)
        case ("GET", "/api/crm/quotes/{file}"): return try quoteDownload(request.params["file"] ?? "")
        case ("POST", "/api/crm/quotes/{id}/accept"): return .ok(try accept(quoteID: id, actor: Self.actor(request)))
        case ("GET", "/api/crm/projects"): return try list(Collections.projects, Project.self, request, filters: ["deal_id", "date"])
        case ("PATCH", "/api/crm/projects/{id}"): return .ok(try JSON(encoding: patchProject(id, try Self.body(request))))
        case ("GET", "/api/crm/sla/breaches"): return try list(Collections.breaches, Breach.self, request, filters: ["rule", "owner"])
        case ("POST", "/api/crm/import"): return try importCSV(request)
        case ("GET", "/api/crm/analytics"): return .ok(try analytics())
        case ("POST", "/hooks/mrdj/website-form"): return try websiteForm(request)
        case ("POST", "/hooks/mrdj/mollie"): return try mollieWebhook(request)
        case ("GET", "/quotes/accept"): return try acceptPage(request)
        case ("POST", "/quotes/accept"): return try acceptByLink(request)
        default: throw PluginError.notFound("no route \(request.method) \(request.path)")
        }
    }

    func runJob(_ job: Job) throws -> JSON? {
        switch job.kind {
        case RentGuy.pushJob: try pushProject(job)
        case _ where AfterCareJob.all.contains(job.kind): try runAfterCareJob(job)
        default: try runSLAJob(job)
        }
        return nil
    }

    // MARK: Shared helpers

    var nowMillis: Int64 { Int64((host.now.timeIntervalSince1970 * 1000).rounded()) }

    /// The next id of a kind, e.g. `lead-000042`: zero-padded so that key order is creation order.
    func nextID(_ kind: String) throws -> String {
        let next = (try host.get(Collections.counters, kind, as: Int.self) ?? 0) + 1
        try host.put(Collections.counters, kind, next)
        return Self.id(kind, next)
    }

    static func id(_ kind: String, _ number: Int) -> String {
        kind + "-" + String(repeating: "0", count: max(0, 6 - String(number).count)) + String(number)
    }

    /// One page of a collection: `?limit=&cursor=` plus equality filters on the allowed fields.
    func list<T: Codable>(_ collection: String, _ type: T.Type, _ request: HTTPRequest, filters: [String]) throws -> HTTPResponse {
        var filter: [String: JSON] = [:]
        for name in filters { if let value = request.query[name] { filter[name] = .string(value) } }
        let limit = min(max(Int(request.query["limit"] ?? "") ?? 50, 1), 200)
        let page = try host.query(collection, as: T.self, where: filter, after: request.query["cursor"], limit: limit)
        return .ok(["data": try JSON(encoding: page.records.map(\.value)), "next_cursor": page.next.map(JSON.string) ?? .null])
    }

    /// A record, or a 404.
    func load<T: Decodable>(_ collection: String, _ id: String, as type: T.Type = T.self) throws -> T {
        guard let value = try host.get(collection, id, as: T.self) else { throw PluginError.notFound("no \(collection) record \(id)") }
        return value
    }

    func lead(_ id: String) throws -> Lead { try load(Collections.leads, id) }
    func deal(_ id: String) throws -> Deal { try load(Collections.deals, id) }

    func audit(_ action: String, subject: String, details: JSON = [:]) throws {
        try host.call("audit.record", JSON.object(["action": .string(action), "subject": .string(subject), "details": details]))
    }

    /// A host task (`tasks.create`) for `assignee`.
    @discardableResult
    func task(_ title: String, assignee: String, contactID: String?, priority: String = "normal", dueAt: Int64? = nil, type: String = "follow_up") throws -> String? {
        var request: [String: JSON] = [
            "title": .string(title), "assignee": .string(assignee), "priority": .string(priority), "task_type": .string(type),
        ]
        if let contactID { request["contact_id"] = .string(contactID) }
        if let dueAt { request["due_at"] = .number(Double(dueAt)) }
        return try host.call("tasks.create", JSON.object(request))["id"]?.stringValue
    }

    /// Who is calling, for audit trails: the identity's name, else `public`.
    static func actor(_ request: HTTPRequest) -> String {
        request.identity?["name"]?.stringValue ?? request.identity?["id"]?.stringValue ?? "public"
    }

    static func body(_ request: HTTPRequest) throws -> JSON {
        guard !request.body.isEmpty else { return [:] }
        do { return try JSON.parse(bytes: request.body) } catch { throw PluginError.badArgument("the body is not JSON") }
    }
}

@_cdecl("switchboard_plugin_entry_v1")
public func switchboardPluginEntry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? { export(MrDJCRMPlugin.self, hostMajor: major, hostMinor: minor) }

extension HTTPResponse {
    /// A JSON response.
    static func ok(_ json: JSON, status: Int = 200) -> HTTPResponse { HTTPResponse(status: status, json: json) }
}

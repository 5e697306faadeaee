import Foundation
import PluginAPI

/// ChargeCarsComms: the ChargeCars multichannel inbox of seed 004. Threads extend the host's
/// conversations, messages, tasks and templates; inbound email and WhatsApp are routed to teams,
/// timed on a business-time SLA with an escalation ladder, and announced live. Outbound messages of every origin
/// and their delivery receipts reach the threads through the host's events.
final class ChargeCarsCommsPlugin: Plugin {
    static let info = PluginInfo(
        id: "chargecars-comms",
        version: "0.3.0",
        capabilities: [.flows, .templates, .analytics, .jobs, .httpRoutes],
        routes: [
            Route("GET", "/api/communication/threads", permission: "conversations:read"),
            Route("POST", "/api/communication/threads", permission: "conversations:write"),
            Route("GET", "/api/communication/threads/{id}", permission: "conversations:read"),
            Route("PUT", "/api/communication/threads/{id}", permission: "conversations:write"),
            Route("GET", "/api/communication/messages", permission: "conversations:read"),
            Route("POST", "/api/communication/messages", permission: "messages:send"),
            Route("PUT", "/api/communication/messages/{id}", permission: "conversations:write"),
            Route("GET", "/api/communication/analytics", permission: "analytics:read"),
            Route("GET", "/api/communication/channels", permission: "tenant:admin"),
            Route("POST", "/api/communication/channels", permission: "tenant:admin"),
            Route("PUT", "/api/communication/channels/{id}", permission: "tenant:admin"),
            Route("GET", "/api/tasks", permission: "tasks:read"),
            Route("POST", "/api/tasks", permission: "tasks:write"),
            Route("PUT", "/api/tasks/{id}", permission: "tasks:write"),
            Route("GET", "/api/orders", permission: "crm:read"),
            Route("POST", "/api/orders", permission: "crm:write"),
            Route("GET", "/api/templates", permission: "templates:read"),
            Route("POST", "/api/templates", permission: "templates:write"),
        ] + consoleRoutes,
        subscriptions: [EventType.messageReceived, EventType.messageSent, EventType.messageStatus, EventType.messageBlocked],
        // Without the host's event subscriptions (ABI 1.3) replies from the console or the API would never reach the threads.
        minHostMinor: 3
    )

    let host: PluginAPI.Host
    let config: CommsConfig
    let threads: ThreadStore
    /// The language of the tenant's templates, from its locale.
    let language: String

    init(context: PluginContext) throws {
        host = context.host
        let timeZone = TimeZone(identifier: context.tenant["timezone"]?.stringValue ?? "") ?? TimeZone(identifier: "Europe/Amsterdam")!
        config = CommsConfig(context.config, timeZone: timeZone)
        threads = ThreadStore(host: host)
        language = String((context.tenant["locale"]?.stringValue ?? "nl").prefix(2))
        do {
            try scheduleDigest(after: host.now)
        } catch {
            host.log(.warning, "could not schedule the daily digest: \(error)")
        }
    }

    func handleEvent(_ event: Event) throws -> JSON? {
        let at = event.occurredAt ?? millis(host.now)
        if event.type == EventType.messageReceived, event.data["message"]?["direction"]?.stringValue != "outbound" {
            try handleInbound(event.data)
        } else if let sent = event.messageSent {
            try logOutbound(sent, at: at)
        } else if let status = event.messageStatus {
            try applyReceipt(status, at: at, conversationID: event.conversationID)
        } else if let blocked = event.messageBlocked {
            try applyBlock(blocked, conversationID: event.conversationID)
        }
        return nil
    }

    func handleHTTP(_ request: HTTPRequest) throws -> HTTPResponse {
        if request.route.hasPrefix("/console/app/") { return try consolePage(request) }
        let id = request.params["id"] ?? ""
        let caller = request.identity?["name"]?.stringValue
        let json: JSON
        var status = 200
        switch (request.method, request.route) {
        case ("GET", "/api/communication/threads"): json = try listThreads(request)
        case ("POST", "/api/communication/threads"): (json, status) = (try createThread(try Self.body(request), identity: caller), 201)
        case ("GET", "/api/communication/threads/{id}"): json = try threadDetail(id)
        case ("PUT", "/api/communication/threads/{id}"): json = try updateThread(id, try Self.body(request))
        case ("GET", "/api/communication/messages"): json = try listMessages(request.query)
        case ("POST", "/api/communication/messages"): (json, status) = (try postMessage(try Self.body(request), identity: caller), 201)
        case ("PUT", "/api/communication/messages/{id}"): json = try updateMessage(id, try Self.body(request))
        case ("GET", "/api/communication/analytics"): json = try analytics(request.query)
        case ("GET", "/api/communication/channels"): json = try listChannels()
        case ("POST", "/api/communication/channels"): (json, status) = (try saveChannel(try Self.body(request)), 201)
        case ("PUT", "/api/communication/channels/{id}"): json = try updateChannel(id, try Self.body(request))
        case ("GET", "/api/tasks"): json = try listTasks(request.query)
        case ("POST", "/api/tasks"): (json, status) = (try createTask(try Self.body(request), identity: caller), 201)
        case ("PUT", "/api/tasks/{id}"): json = try updateTask(id, try Self.body(request))
        case ("GET", "/api/orders"): json = try listOrders(request.query)
        case ("POST", "/api/orders"): (json, status) = (try createOrder(try Self.body(request)), 201)
        case ("GET", "/api/templates"): json = try listTemplates(request.query)
        case ("POST", "/api/templates"): (json, status) = (try createTemplate(try Self.body(request)), 201)
        default: throw PluginError.notFound("no route \(request.method) \(request.path)")
        }
        return HTTPResponse(status: status, json: json)
    }

    func runJob(_ job: Job) throws -> JSON? {
        switch job.kind {
        case Self.slaJob: try runSLAStep(job)
        case Self.digestJob: try runDigest(job)
        default: throw PluginError.badArgument("unknown job kind \(job.kind)")
        }
        return nil
    }

    func newID() -> String { UUID().uuidString.lowercased() }

    static func body(_ request: HTTPRequest) throws -> JSON {
        guard !request.body.isEmpty else { return [:] }
        do { return try JSON.parse(bytes: request.body) } catch { throw PluginError.badArgument("the body is not JSON") }
    }
}

@_cdecl("switchboard_plugin_entry_v1")
public func switchboardPluginEntry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? { export(ChargeCarsCommsPlugin.self, hostMajor: major, hostMinor: minor) }

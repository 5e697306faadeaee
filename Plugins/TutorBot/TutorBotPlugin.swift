import PluginAPI

/// TutorBot: the tutoring chat bot of seeds 000 and 001: conversation flows, planning profiles and
/// `suggest_slots`, analytics and the attribute audit. Everything goes through the SDK.
final class TutorBotPlugin: Plugin {
    static let info = PluginInfo(
        id: "tutorbot",
        version: "1.0.0",
        capabilities: [.flows, .templates, .analytics, .jobs, .httpRoutes],
        routes: [
            SlotsRoute.route,
            Route("GET", "/api/tutorbot/analytics", permission: "analytics:read"),
            Route("GET", "/api/tutorbot/audit", permission: "tenant:admin"),
            Route("POST", "/api/tutorbot/conversations/{id}/release", permission: "conversations:write"),
            Dashboard.route,
        ],
        subscriptions: [EventType.messageReceived]
    )

    /// The events already answered, by event id.
    static let turns = "turns"

    private let host: PluginAPI.Host
    private let flow: ConversationFlow
    private let history: LabelHistory

    init(context: PluginContext) throws {
        host = context.host
        let config = try TutorBotConfig(config: context.config, tenant: context.tenant)
        flow = ConversationFlow(host: context.host, config: config)
        history = LabelHistory(host: context.host, timeZone: config.timeZone)
        try history.scheduleNext()
    }

    func runJob(_ job: Job) throws -> JSON? {
        guard job.kind == LabelHistory.jobKind else { throw PluginError.badArgument("unknown job kind \(job.kind)") }
        try history.snapshot()
        return nil
    }

    /// A customer's message is one turn of the flow. Events come at least once: a turn already taken (the host stopped
    /// before it heard back) is not answered again.
    func handleEvent(_ event: Event) throws -> JSON? {
        guard event.type == EventType.messageReceived, try host.get(Self.turns, event.id, as: Bool.self) == nil else { return nil }
        try flow.handle(event)
        try host.put(Self.turns, event.id, true)
        return nil
    }

    func handleHTTP(_ request: HTTPRequest) throws -> HTTPResponse {
        switch request.route {
        case SlotsRoute.route.path: return try SlotsRoute(host: host, slots: flow.slots).handle(request)
        case "/api/tutorbot/analytics": return try .json(Analytics(host: host).query(request.query["metric"] ?? "summary"))
        case "/api/tutorbot/audit": return try .json(AttributeAudit.run(host: host))
        case Dashboard.route.path: return try Dashboard(host: host, history: history).page()
        case "/api/tutorbot/conversations/{id}/release": return try .json(release(request.params["id"] ?? ""))
        default: throw PluginError.notFound("no route \(request.route)")
        }
    }

    func queryAnalytics(_ query: JSON) throws -> JSON {
        try Analytics(host: host).query(query["metric"]?.stringValue ?? "summary")
    }

    /// Gives a handed-over conversation back to the bot, which starts afresh on the next message.
    private func release(_ id: String) throws -> JSON {
        try host.call("conversations.update", JSON.object([
            "id": .string(id), "owner": "bot", "attributes": ["bot_step": .null, "misunderstood": .null],
        ]))
    }
}

@_cdecl("switchboard_plugin_entry_v1")
public func switchboardPluginEntry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? { export(TutorBotPlugin.self, hostMajor: major, hostMinor: minor) }

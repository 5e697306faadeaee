import PluginAPI

/// LeadQualifier: the WhatsApp lead-qualification bot of seed 002 (flows come with its plugin issue).
final class LeadQualifierPlugin: Plugin {
    static let info = PluginInfo(
        id: "leadqualifier",
        version: "0.1.0",
        capabilities: [.flows, .templates, .analytics, .jobs, .httpRoutes],
        routes: []
    )

    private let host: Host

    init(context: PluginContext) throws {
        self.host = context.host
    }

    /// Echoes every event back, and remembers the last one per type in the record store.
    func handleEvent(_ event: Event) throws -> JSON? {
        try host.put("last_event", event.type, event)
        return .object(["echo": try JSON(encoding: event)])
    }
}

@_cdecl("switchboard_plugin_entry_v1")
public func switchboardPluginEntry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? { export(LeadQualifierPlugin.self, hostMajor: major) }

import PluginAPI

/// ChargeCarsComms: the ChargeCars multichannel inbox of seed 004 (its data comes with its plugin issue).
final class ChargeCarsCommsPlugin: Plugin {
    static let info = PluginInfo(
        id: "chargecars-comms",
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
public func switchboardPluginEntry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? { export(ChargeCarsCommsPlugin.self, hostMajor: major) }

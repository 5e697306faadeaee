import PluginAPI

/// EchoSwift: the smallest Swift plugin, the twin of HelloC. It subscribes to the messages its
/// tenant receives, echoes every event back and remembers the last one of each type in the
/// tenant-scoped record store (collection `last_event`), so tests can check that two tenants'
/// instances never share records. `bench.ping` events (the ABI benchmark calls `handle_event`
/// directly) are only echoed: the benchmark times the call, not the store.
final class EchoSwiftPlugin: Plugin {
    static let info = PluginInfo(
        id: "echo-swift", version: "1.0.0", capabilities: [.flows],
        subscriptions: [EventType.messageReceived])

    private let host: Host

    init(context: PluginContext) throws {
        self.host = context.host
    }

    func handleEvent(_ event: Event) throws -> JSON? {
        if event.type != "bench.ping" { try host.put("last_event", event.type, event) }
        return ["echo": event.json]
    }
}

@_cdecl("switchboard_plugin_entry_v1")
public func switchboardPluginEntry(_ major: UInt16, _ minor: UInt16) -> UnsafeRawPointer? { export(EchoSwiftPlugin.self, hostMajor: major, hostMinor: minor) }

import CPluginABI
import SwitchboardJSON

/// A plugin library that passed the loader's checks: its descriptor, and what it declares.
public final class LoadedPlugin: @unchecked Sendable {
    public let path: String
    public let id: String
    public let version: String
    public let abiMajor: Int
    public let abiMinor: Int
    public let capabilities: PluginCapabilities
    public let routes: [PluginRoute]
    /// The events delivered to its `handle_event`.
    public let subscription: EventSubscription
    /// The lowest host minor it runs on (`min_host_minor`, 0 before 1.3).
    public let minHostMinor: Int
    let descriptor: UnsafePointer<sb_plugin_descriptor>

    init(
        path: String, descriptor: UnsafePointer<sb_plugin_descriptor>, routes: [PluginRoute], subscription: EventSubscription,
        minHostMinor: Int
    ) {
        self.path = path
        self.descriptor = descriptor
        self.subscription = subscription
        self.minHostMinor = minHostMinor
        self.id = String(cString: descriptor.pointee.plugin_id)
        self.version = String(cString: descriptor.pointee.plugin_version)
        self.abiMajor = Int(descriptor.pointee.abi_major)
        self.abiMinor = Int(descriptor.pointee.abi_minor)
        self.capabilities = PluginCapabilities(rawValue: descriptor.pointee.capabilities)
        self.routes = routes
    }

    /// What `plugins inspect` prints and `/api/v1/tenant` returns.
    public struct Description: Encodable, Sendable {
        public let id: String
        public let version: String
        public let abi: String
        public let capabilities: [String]
        public let routes: [PluginRoute]
        public let subscriptions: [String]
        /// Whether it also gets every event other plugins emit (a plugin without a subscription list).
        public let allPluginEvents: Bool

        enum CodingKeys: String, CodingKey {
            case id, version, abi, capabilities, routes, subscriptions
            case allPluginEvents = "all_plugin_events"
        }
    }

    public var summary: Description {
        Description(
            id: id, version: version, abi: "\(abiMajor).\(abiMinor)", capabilities: capabilities.names, routes: routes,
            subscriptions: subscription.patterns, allPluginEvents: subscription.pluginEvents)
    }
}

/// The `SB_CAP_*` bits of a descriptor.
public struct PluginCapabilities: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let flows = PluginCapabilities(rawValue: UInt64(SB_CAP_FLOWS))
    public static let templates = PluginCapabilities(rawValue: UInt64(SB_CAP_TEMPLATES))
    public static let pipelines = PluginCapabilities(rawValue: UInt64(SB_CAP_PIPELINES))
    public static let analytics = PluginCapabilities(rawValue: UInt64(SB_CAP_ANALYTICS))
    public static let httpRoutes = PluginCapabilities(rawValue: UInt64(SB_CAP_HTTP_ROUTES))
    public static let jobs = PluginCapabilities(rawValue: UInt64(SB_CAP_JOBS))

    static let named: [(String, PluginCapabilities)] = [
        ("flows", .flows), ("templates", .templates), ("pipelines", .pipelines), ("analytics", .analytics),
        ("http_routes", .httpRoutes), ("jobs", .jobs),
    ]

    public var names: [String] { Self.named.filter { contains($0.1) }.map(\.0) }
}
